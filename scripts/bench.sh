#!/usr/bin/env bash
# Sets the project up, builds the main package in release (RuntimeServer and
# runtime-worker) and runs the benchmark package (Benchmarks/, a SwiftPM
# package of its own that depends on this one by path) against them.
#
#   scripts/bench.sh [startup|containment|stats|server|wire|forkserver|ray|all] [--quick]
#
# all (the default) is startup, containment, stats, forkserver and server;
# server is the wire table plus a whole run through the server. ray (not part
# of all) sets the Ray backend beside the local one: it starts the local
# two-node cluster (scripts/ray-cluster.sh, .venv-ray from scripts/ray-setup.sh)
# in a network namespace holding only loopback, runs the benchmark inside it
# (the cluster and the server's worker port are reachable only there), and
# stops the cluster whatever happens. --quick (or BENCH_QUICK=1)
# is a smoke run with few samples. BENCH_ITERATIONS (default 100) sets the
# samples per run-latency figure, BENCH_ROUND_TRIPS (default 2000) the round
# trips per server row, each side, after the warm-up.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --no-build >&2
swift build -c release --product runtime-worker >&2
swift build -c release --product RuntimeServer >&2
# SwiftPM does not look for files added to a path dependency: without its
# build manifest, the benchmark package plans this package's sources again.
rm -f Benchmarks/.build/release.yaml
swift build -c release --package-path Benchmarks >&2
bin=$(swift build -c release --package-path Benchmarks --show-bin-path)
export BENCH_REPOSITORY="$PWD"
export RUNTIME_WORKER="$PWD/.build/release/runtime-worker"
export RUNTIME_SERVER="$PWD/.build/release/RuntimeServer"
for argument in "$@"; do
  if [ "$argument" = ray ]; then
    exec unshare -n -- ./scripts/ray-cluster.sh "$bin/RuntimeBenchmarks" "$@"
  fi
done
exec "$bin/RuntimeBenchmarks" "$@"
