#!/usr/bin/env bash
# Sets the project up and runs the benchmarks in a release build.
# Suites: startup, stats, server, all (default). BENCH_ITERATIONS (default 100) sets
# the samples per run-latency figure, BENCH_ROUND_TRIPS (default 10000) per round trip.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh >&2
swift build -c release --product runtime-worker >&2
swift build -c release --product RuntimeServer >&2
swift build -c release --product RuntimeBenchmarks >&2
exec .build/release/RuntimeBenchmarks "$@"
