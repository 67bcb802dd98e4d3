#!/usr/bin/env bash
# Sets the project up and runs the benchmarks in a release build.
# BENCH_ITERATIONS (default 100) sets the samples per latency figure.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh >&2
swift build -c release --product runtime-worker >&2
swift build -c release --product RuntimeBenchmarks >&2
exec .build/release/RuntimeBenchmarks "$@"
