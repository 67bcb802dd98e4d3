#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ and runs each for a bounded time.
#
#   ./scripts/fuzz.sh [SECONDS]     # SECONDS per target, default 20
#   FUZZ_TARGETS="json frame" ./scripts/fuzz.sh 60    # only some targets
#
# Targets (see the header of each Fuzz/*.swift for what it checks):
#   json     JSONParser.parse + the round trip through jsonString/jsonBytes
#   request  RequestParser.parse (RuntimeService) on any text
#   frame    FrameIO.readBody + JSONParser on any byte stream from a "worker"
#
# Each target is compiled with swiftc from the few project files it needs (not
# the package: no NIO, no Hummingbird), with -sanitize=fuzzer,address, into
# .build-fuzz/ (git-ignored). It is rebuilt only when one of its files changed.
# Each run starts from a copy of the committed corpus Fuzz/Corpus/<target>/ in
# a temporary folder, so the committed corpus never changes. A crash, a trap,
# an ASan report, a hang (> 10 s on one input) or, for the frame target, an
# allocation over 64 MB fails the script (exit 1); the input that did it is kept
# in .build-fuzz/artifacts/<target>/ and its path printed. Reproduce with
#   .build-fuzz/<target> <that file>
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-20}
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || ((seconds < 1)); then
  echo "usage: scripts/fuzz.sh [SECONDS per target, default 20]" >&2
  exit 2
fi
read -r -a targets <<< "${FUZZ_TARGETS:-json request frame}"

out=.build-fuzz
mkdir -p "$out"
say() { printf '==> fuzz: %s\n' "$*"; }

# The Swift runtime's own crash reporter (swift-backtrace) hangs for its whole
# timeout when ASan is linked in, and libFuzzer prints the stack anyway.
export SWIFT_BACKTRACE=enable=no
# Symbolised stacks in crash reports (the toolchain ships llvm-symbolizer).
swift_bin=$(dirname "$(command -v swiftc)")
if [ -x "$swift_bin/llvm-symbolizer" ]; then export ASAN_SYMBOLIZER_PATH="$swift_bin/llvm-symbolizer"; fi

# The project files each target is made of. Kept minimal on purpose: a new
# dependency of one of these files shows up here as a build error.
json_sources=(Sources/RuntimeCore/JSON/*.swift)
core_sources=("${json_sources[@]}" Sources/RuntimeCore/Session/{Program,ProgramError,RuntimeError,Placeholder,Session,SessionStatus,SessionEvent}.swift)
request_sources=(Sources/RuntimeService/Protocol/{RequestParser,WireRequest}.swift)
frame_sources=(Sources/RuntimeCore/Worker/FrameIO.swift "${json_sources[@]}")

common=(-swift-version 6 -warnings-as-errors -parse-as-library -O -g -lm)  # -lm: round() in JSONValue

# True when $1 is missing or older than any of the other files (or this script).
stale() {
  local target=$1; shift
  [ -e "$target" ] || return 0
  local file
  for file in "$@" "$0"; do [ "$file" -nt "$target" ] && return 0; done
  return 1
}

# Finds the sanitizer flags this toolchain links: fuzzer with ASan (and lld,
# which is quieter than gold), else fuzzer with ASan, else fuzzer alone. The
# choice is kept in $out/flags so that all targets (and the RuntimeCore
# library the request target links) are built alike.
choose_flags() {
  if [ -f "$out/flags" ] && ! stale "$out/flags"; then return; fi
  local probe="$out/probe"
  mkdir -p "$probe"
  printf '%s\n' '@_cdecl("LLVMFuzzerTestOneInput")' \
    'public func probe(_ d: UnsafePointer<UInt8>?, _ n: Int) -> Int32 { 0 }' > "$probe/probe.swift"
  local candidate
  for candidate in "-sanitize=fuzzer,address -use-ld=lld" "-sanitize=fuzzer,address" "-sanitize=fuzzer"; do
    # shellcheck disable=SC2086
    if swiftc -parse-as-library $candidate "$probe/probe.swift" -o "$probe/probe" >"$probe/log" 2>&1; then
      echo "$candidate" > "$out/flags"
      [[ "$candidate" == *address* ]] || say "AddressSanitizer does not link with libFuzzer here: fuzzing without it"
      return
    fi
  done
  cat "$probe/log" >&2
  echo "fuzz.sh: swiftc cannot link -sanitize=fuzzer on this machine" >&2
  exit 1
}

build() {
  read -r -a sanitize < "$out/flags"
  local name=$1
  case "$name" in
    json)
      if stale "$out/json" "${json_sources[@]}" Fuzz/JSONParserFuzz.swift; then
        say "building json"
        swiftc "${common[@]}" "${sanitize[@]}" -module-name JSONParserFuzz \
          "${json_sources[@]}" Fuzz/JSONParserFuzz.swift -o "$out/json"
      fi ;;
    request)
      # RequestParser.swift imports RuntimeCore: a RuntimeCore module made of
      # just the files it uses, then the two protocol files and the harness.
      if stale "$out/core/libRuntimeCore.a" "${core_sources[@]}"; then
        say "building RuntimeCore (the parser's part of it)"
        mkdir -p "$out/core"
        swiftc "${common[@]}" "${sanitize[@]}" -module-name RuntimeCore -emit-library -static -emit-module \
          -emit-module-path "$out/core/RuntimeCore.swiftmodule" -o "$out/core/libRuntimeCore.a" "${core_sources[@]}"
      fi
      if stale "$out/request" "$out/core/libRuntimeCore.a" "${request_sources[@]}" Fuzz/RequestParserFuzz.swift; then
        say "building request"
        swiftc "${common[@]}" "${sanitize[@]}" -module-name RequestParserFuzz -I "$out/core" -L "$out/core" -lRuntimeCore \
          "${request_sources[@]}" Fuzz/RequestParserFuzz.swift -o "$out/request"
      fi ;;
    frame)
      if stale "$out/frame" "${frame_sources[@]}" Fuzz/FrameDecoderFuzz.swift; then
        say "building frame"
        swiftc "${common[@]}" "${sanitize[@]}" -module-name FrameDecoderFuzz \
          "${frame_sources[@]}" Fuzz/FrameDecoderFuzz.swift -o "$out/frame"
      fi ;;
    *) echo "fuzz.sh: unknown target $name (json, request, frame)" >&2; exit 2 ;;
  esac
}

# Working copies of the corpus live here and go away on exit, whatever happens.
work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

choose_flags
for name in "${targets[@]}"; do build "$name"; done

failed=()
for name in "${targets[@]}"; do
  corpus="$work/$name"
  artifacts="$out/artifacts/$name"
  mkdir -p "$corpus" "$artifacts"
  cp Fuzz/Corpus/"$name"/* "$corpus"/
  options=(-max_total_time="$seconds" -timeout=10 -max_len=8192 -print_final_stats=1
           -artifact_prefix="$artifacts/")
  # The frame decoder must never allocate much: its limit is 4 KiB per frame.
  [ "$name" = frame ] && options+=(-malloc_limit_mb=64)
  log="$work/$name.log"
  say "running $name for ${seconds}s from $(ls "$corpus" | wc -l) seeds"
  if "$out/$name" "${options[@]}" "$corpus" >"$log" 2>&1; then
    # One line: executions, coverage, corpus size at the end.
    grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 | sed "s/^/    $name: /" || true
  else
    status=$?
    failed+=("$name")
    echo "!!! fuzz: $name failed (exit $status); its log:" >&2
    grep -vE '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse|INITED)' "$log" | tail -60 >&2
    grep -E 'Test unit written to|written to' "$log" | sed 's/^/!!! crashing input: /' >&2 || true
    echo "!!! reproduce: $out/$name <crashing input>" >&2
  fi
done

if ((${#failed[@]})); then
  echo "fuzz.sh: failed: ${failed[*]}" >&2
  exit 1
fi
say "no crash in ${targets[*]} (${seconds}s each)"
