#!/usr/bin/env bash
# Soak test: runs the server in release mode on loopback for MINUTES (default
# 10) under a mixed load from several concurrent clients (scripts/soak.py:
# runs, reads, stops, deletes, hostile programs, clients that disconnect or
# never read), then stops it with SIGTERM and reports. Not part of CI: run it
# by hand before a release or after touching the worker boundary.
#
#   ./scripts/soak.sh [MINUTES]
#   SOAK_CLIENTS=8 SOAK_MEMORY_MB=512 SOAK_MAX_PROCESSES=64 ./scripts/soak.sh 10
#   SOAK_KNOWN_CRASHERS=1 ./scripts/soak.sh 2   # also programs known to crash the server
#   SOAK_LOG_LEVEL=debug ./scripts/soak.sh 2      # the server's log level (default info); the log is kept
#   SOAK_ARGS="--mix hostile=1 --hostile writes_fd1,fork_bomb" ./scripts/soak.sh 3   # a narrower mix
#   (scripts/soak.py --help lists its options)
#
# It reports every 30 s and at the end: requests served, errors by code,
# server RSS over time (from /proc), processes below the server, processes
# left after the server's exit (must be 0), and the server's exit status after
# SIGTERM (must be 0). Exit status 0 when all of that holds, no client saw a
# broken connection, a missing reply or an INTERNAL error, every error reply
# was one the scenario asked for, and every run ended as its program should
# (a hostile one stopped, killed at a limit or cut off; never "no worker").
#
# Bounded: the load stops by itself after MINUTES, a stuck client is given up
# 150 s later, and the whole soak is killed at MINUTES + 10 minutes. Whatever
# happens (Ctrl-C included), the server it started is killed on exit (its
# sessions' processes die with it: see Docs/Security.md).
set -euo pipefail
cd "$(dirname "$0")/.."

minutes=${1:-10}
if ! [[ "$minutes" =~ ^[0-9]+([.][0-9]+)?$ ]]; then
  echo "usage: scripts/soak.sh [MINUTES, default 10]" >&2
  exit 2
fi
say() { printf '==> soak: %s\n' "$*"; }

# The embedded Python and its packages: set up by setup.sh (which also builds
# in debug mode, so only when the venv is missing).
[ -x .venv/bin/python ] || ./scripts/setup.sh

say "building the server (release)"
swift build -c release --product runtime-worker
swift build -c release --product RuntimeServer
server=$(swift build -c release --show-bin-path)/RuntimeServer

work=$(mktemp -d "${TMPDIR:-/tmp}/soak.XXXXXX")
pid_file="$work/server.pid"
cleanup() {
  # The load generator stops the server itself; this is for when it could not
  # (killed, or the timeout below). SIGKILL is enough: the sessions' inits die
  # with their supervisors.
  if [ -s "$pid_file" ]; then
    local pid
    pid=$(cat "$pid_file")
    if kill -0 "$pid" 2>/dev/null && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = RuntimeServer ]; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  if [ -n "${load_pid:-}" ]; then kill -KILL "$load_pid" 2>/dev/null || true; fi
  echo "server log: $work/server.log"
}
trap cleanup EXIT
# Ctrl-C or SIGTERM: let the load generator stop the server gracefully and
# print its report (timeout forwards the signal to it), then clean up.
on_signal() {
  trap '' INT TERM
  if [ -n "${load_pid:-}" ]; then
    kill -TERM "$load_pid" 2>/dev/null || true
    wait "$load_pid" 2>/dev/null || true
    load_pid=
  fi
  exit 130
}
trap on_signal INT TERM

# A free loopback port, asked from the kernel (loopback only: --host 127.0.0.1).
port=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

say "${minutes} min on 127.0.0.1:$port, ${SOAK_CLIENTS:-6} clients, log in $work/server.log"
crashers=()
[ -n "${SOAK_KNOWN_CRASHERS:-}" ] && crashers=(--with-known-crashers)
limit=$(.venv/bin/python -c "print(int(float('$minutes') * 60 + 600))")
# The load generator uses the standard library only (no websockets package).
set +e
timeout --signal=TERM --kill-after=30 "$limit" .venv/bin/python scripts/soak.py \
  --server "$server" --python .venv/bin/python --port "$port" --minutes "$minutes" \
  --clients "${SOAK_CLIENTS:-6}" --memory-limit-mb "${SOAK_MEMORY_MB:-512}" \
  --max-processes "${SOAK_MAX_PROCESSES:-64}" --log-level "${SOAK_LOG_LEVEL:-info}" \
  --log "$work/server.log" --pid-file "$pid_file" \
  "${crashers[@]}" ${SOAK_ARGS:-} &
load_pid=$!
wait "$load_pid"
status=$?
load_pid=
set -e
if grep -qiE 'fatal error|crashed|runtime failure' "$work/server.log"; then
  echo "!!! the server log reports a crash:" >&2
  grep -iE -A5 'fatal error|crashed|runtime failure' "$work/server.log" | head -40 >&2
fi
exit "$status"
