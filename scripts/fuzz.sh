#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ and runs each for a bounded time.
#
#   ./scripts/fuzz.sh [SECONDS]     # SECONDS per target, default 20
#   FUZZ_TARGETS="json frame" ./scripts/fuzz.sh 60    # only some targets
#
# Targets (see the header of each Fuzz/*.swift for what it checks):
#   json            JSONParser round trip; JSONValidator and JSONFragment agree with it
#   request         RequestParser.parse(bytes:) on any message; inline model data
#                   is the client's bytes of model.data
#   frame           FrameIO.readMessage + WorkerMessage.decode on any byte stream
#                   from a "worker"
#   worker-request  WorkerRequest.decode on any header and parts
#
# Everything is compiled with -sanitize=fuzzer,address into .build-fuzz/
# (git-ignored), from the modules as Package.swift defines them, two ways:
#   - json, frame, worker-request need only RuntimeJSON and WorkerFrames: each
#     module is compiled with swiftc as a static library (every .swift file of
#     its folder, one -package-name so `package` API is visible), in
#     dependency order, then linked with the harness. Which modules, in which
#     order and from which folder is read from `swift package dump-package`;
#     if one of them gains a dependency swiftc cannot build alone (a package
#     product, a C target), this script stops and says so. Rebuilt only when a
#     file of the module (or of one it depends on), the flags or this script
#     changed.
#   - request needs RuntimeProtocol, hence RuntimeCore and its package
#     dependencies: Fuzz/Package.swift depends on the project by path and
#     `swift build` makes it (incremental; skipped when no file it reads changed).
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
read -r -a targets <<< "${FUZZ_TARGETS:-json request frame worker-request}"

out=.build-fuzz
mkdir -p "$out/modules"
say() { printf '==> fuzz: %s\n' "$*"; }
die() { echo "fuzz.sh: $*" >&2; exit 1; }

# What each target is: built with swiftc from modules (the module it imports;
# those it depends on come from Package.swift), or by SwiftPM from Fuzz/Package.swift.
harness_of() {
  case "$1" in
    json) echo Fuzz/JSONParserFuzz.swift ;;
    frame) echo Fuzz/FrameDecoderFuzz.swift ;;
    worker-request) echo Fuzz/WorkerRequestFuzz.swift ;;
    request) echo Fuzz/RequestParserFuzz.swift ;;
    *) echo "fuzz.sh: unknown target $1 (json, request, frame, worker-request)" >&2; exit 2 ;;
  esac
}
modules_of() {
  case "$1" in
    json) echo RuntimeJSON ;;
    frame | worker-request) echo WorkerFrames ;;
    request) echo "" ;;  # SwiftPM
  esac
}
for name in "${targets[@]}"; do harness_of "$name" > /dev/null; done

# The Swift runtime's own crash reporter (swift-backtrace) hangs for its whole
# timeout when ASan is linked in, and libFuzzer prints the stack anyway.
export SWIFT_BACKTRACE=enable=no
# Symbolised stacks in crash reports (the toolchain ships llvm-symbolizer).
swift_bin=$(dirname "$(command -v swiftc)")
if [ -x "$swift_bin/llvm-symbolizer" ]; then export ASAN_SYMBOLIZER_PATH="$swift_bin/llvm-symbolizer"; fi

common=(-swift-version 6 -warnings-as-errors -parse-as-library -O -g)
# The package name SwiftPM gives the project's modules does not matter; one
# name for all of them does (it is what makes `package` declarations visible).
package_name=python_runtime

# A digest of the given strings and of the files named after "--".
digest() {
  {
    while (($#)) && [ "$1" != -- ]; do printf '%s\n' "$1"; shift; done
    (($#)) && shift
    local file
    for file in "$@"; do printf '%s ' "$file"; sha256sum < "$file"; done
  } | sha256sum | cut -c1-64
}
script_digest=$(sha256sum < "$0" | cut -c1-64)

# Finds the sanitizer flags this toolchain links: fuzzer with ASan (and lld,
# which is quieter than gold), else fuzzer with ASan, else fuzzer alone. The
# choice is kept in $out/flags so that every module and target is built alike.
choose_flags() {
  if [ -f "$out/flags" ] && [ "$out/flags" -nt "$0" ]; then return; fi
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
  die "swiftc cannot link -sanitize=fuzzer on this machine"
}

# The project's targets as Package.swift declares them, one per line:
# NAME<TAB>TYPE<TAB>FOLDER<TAB>DEPENDENCIES (target names, or product:NAME@PACKAGE)<TAB>CUSTOM
# (CUSTOM lists what a plain swiftc build would miss: sources, exclude, settings...).
package_targets() {
  local table="$out/targets.tsv"
  if [ -f "$table" ] && [ "$table" -nt Package.swift ] && [ "$table" -nt "$0" ]; then cat "$table"; return; fi
  command -v python3 > /dev/null || die "python3 is needed to read 'swift package dump-package'"
  swift package dump-package 2> "$out/dump.log" | python3 -c '
import json, sys
package = json.load(sys.stdin)
names = {t["name"] for t in package["targets"]}
for t in package["targets"]:
    deps = []
    for d in t["dependencies"]:
        kind, value = next(iter(d.items()))
        if kind == "product" or (kind == "byName" and value[0] not in names):
            deps.append("product:%s@%s" % (value[0], value[1] if kind == "product" else "?"))
        else:
            deps.append(value[0])
    custom = [key for key in ("sources", "exclude", "resources", "settings", "publicHeadersPath", "pluginUsages")
              if t.get(key)]
    print("\t".join([t["name"], t["type"], t.get("path") or "Sources/" + t["name"], ",".join(deps), ",".join(custom)]))
' > "$table.new" || { cat "$out/dump.log" >&2; die "swift package dump-package failed"; }
  mv "$table.new" "$table"
  cat "$table"
}

# The modules to compile for $1 (a module; $2 is the fuzz target, for
# messages), dependencies first, as NAME<TAB>FOLDER lines; stops with an
# error if one cannot be built by swiftc alone.
build_order() {
  local table
  table=$(package_targets)
  python3 - "$1" "$2" "$table" <<'PY'
import os, sys
wanted, fuzz_target, table = sys.argv[1], sys.argv[2], sys.argv[3]
targets = {}
for line in table.splitlines():
    name, kind, path, deps, custom = (line.split("\t") + [""] * 5)[:5]
    targets[name] = (kind, path, [d for d in deps.split(",") if d], [c for c in custom.split(",") if c])
order, seen = [], set()
def visit(name, chain):
    if name in seen:
        return
    if name not in targets:
        sys.exit("fuzz.sh: %s is not a target of Package.swift" % name)
    kind, path, deps, custom = targets[name]
    why = None
    if kind != "regular":
        why = "is a %s target" % kind
    elif custom:
        why = "sets %s in Package.swift" % ", ".join(custom)
    else:
        others = []
        for folder, subfolders, files in os.walk(path):
            subfolders[:] = [d for d in subfolders if not d.endswith(".docc")]  # documentation, not built
            others += [f for f in files if not f.endswith(".swift")]
        if others:
            why = "has files that are not Swift (%s)" % ", ".join(sorted(others)[:3])
    if why is None:
        products = [d[len("product:"):] for d in deps if d.startswith("product:")]
        if products:
            why = "depends on %s (package products)" % ", ".join(products)
    if why:
        sys.exit("fuzz.sh: the %s target needs %s, which swiftc alone cannot build: %s %s.\n"
                 "Build the fuzz targets that need it from Fuzz/Package.swift, as `request` is."
                 % (fuzz_target, " -> ".join(chain), name, why))
    for d in deps:
        visit(d, chain + [d])
    seen.add(name)
    order.append("%s\t%s" % (name, path))
visit(wanted, [wanted])
print("\n".join(order))
PY
}

# Compiles module $1 from folder $2 into $out/modules (a static library and
# its .swiftmodule) unless nothing it is made of changed; its digest goes into
# module_keys, for what is built on it.
declare -A module_keys=()
build_module() {
  local module=$1 folder=$2 sources=() dep_keys
  mapfile -t sources < <(find "$folder" -name '*.docc' -prune -o -name '*.swift' -type f -print | LC_ALL=C sort)
  ((${#sources[@]})) || die "no Swift file in $folder (module $module)"
  dep_keys=$(printf '%s\n' "${module_keys[@]}" | LC_ALL=C sort | tr '\n' ' ')
  local key
  key=$(digest "${sanitize[*]}" "$script_digest" "$dep_keys" -- "${sources[@]}")
  module_keys[$module]=$key
  if [ -f "$out/modules/$module.key" ] && [ "$(cat "$out/modules/$module.key")" = "$key" ] \
      && [ -f "$out/modules/lib$module.a" ]; then
    return
  fi
  say "building module $module (${#sources[@]} files)"
  rm -f "$out/modules/$module.key"
  swiftc "${common[@]}" "${sanitize[@]}" -package-name "$package_name" -module-name "$module" \
    -emit-library -static -emit-module -emit-module-path "$out/modules/$module.swiftmodule" \
    -I "$out/modules" -o "$out/modules/lib$module.a" "${sources[@]}"
  echo "$key" > "$out/modules/$module.key"
}

# A swiftc-built target: its modules in dependency order, then the harness.
build_swiftc_target() {
  local name=$1 harness order module folder libraries=()
  harness=$(harness_of "$name")
  order=$(build_order "$(modules_of "$name")" "$name") || exit 1
  module_keys=()
  while IFS=$'\t' read -r module folder; do
    build_module "$module" "$folder"
    libraries=("-l$module" "${libraries[@]}")  # dependents before their dependencies
  done <<< "$order"
  local key
  key=$(digest "${sanitize[*]}" "$script_digest" "$(printf '%s\n' "${module_keys[@]}" | LC_ALL=C sort)" -- "$harness")
  if [ -f "$out/$name.key" ] && [ "$(cat "$out/$name.key")" = "$key" ] && [ -x "$out/$name" ]; then return; fi
  say "building $name"
  rm -f "$out/$name.key"
  local module_name
  module_name=$(basename "$harness" .swift)
  swiftc "${common[@]}" "${sanitize[@]}" -package-name "$package_name" -module-name "$module_name" \
    -I "$out/modules" -L "$out/modules" "$harness" "${libraries[@]}" -lm -o "$out/$name"
  echo "$key" > "$out/$name.key"
}

# The SwiftPM-built targets (Fuzz/Package.swift), all at once. Skipped when
# no file SwiftPM reads for them changed (the project's sources and manifest,
# the fuzz package, the flags, this script).
build_package_targets() {
  local inputs key
  mapfile -t inputs < <(find Sources Package.swift Fuzz/Package.swift Fuzz/LibFuzzer Fuzz/RequestParserFuzz.swift \
    -type f | LC_ALL=C sort)
  key=$(digest "${sanitize[*]}" "$script_digest" -- "${inputs[@]}")
  if [ -f "$out/spm.key" ] && [ "$(cat "$out/spm.key")" = "$key" ] && [ -x "$out/request" ]; then return; fi
  say "building request (swift build of Fuzz/Package.swift)"
  rm -f "$out/spm.key"
  local flag xflags=()
  for flag in "${sanitize[@]}" -g; do xflags+=(-Xswiftc "$flag"); done
  if ! swift build --package-path Fuzz --scratch-path "$out/spm" -c release "${xflags[@]}" \
      --product request > "$out/spm.log" 2>&1; then
    grep -vE "^warning: .*unhandled|^    /" "$out/spm.log" | tail -40 >&2
    die "swift build of Fuzz/Package.swift failed (whole log: $out/spm.log)"
  fi
  ln -sf "$(pwd)/$out/spm/release/request" "$out/request"
  echo "$key" > "$out/spm.key"
}

# Working copies of the corpus live here and go away on exit, whatever happens.
work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

choose_flags
read -r -a sanitize < "$out/flags"
started=$SECONDS
for name in "${targets[@]}"; do
  if [ "$name" = request ]; then build_package_targets; else build_swiftc_target "$name"; fi
done
((SECONDS - started < 2)) || say "built in $((SECONDS - started)) s"

failed=()
for name in "${targets[@]}"; do
  corpus="$work/$name"
  artifacts="$out/artifacts/$name"
  mkdir -p "$corpus" "$artifacts"
  cp Fuzz/Corpus/"$name"/* "$corpus"/
  options=(-max_total_time="$seconds" -timeout=10 -max_len=8192 -print_final_stats=1
           -artifact_prefix="$artifacts/")
  # The frame reader must never allocate much: its limit is 4 KiB per frame.
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
