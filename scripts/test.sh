#!/usr/bin/env bash
# Sets the project up (see setup.sh) and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --test
swift build --build-tests
# Tests start servers and Python workers. All at once (the testing library's
# default), hundreds of them starve each other on a two-core machine until
# their time limits pass; a few per core at a time keeps each one's pace.
swift test --skip-build --experimental-maximum-parallelization-width "$((4 * $(nproc)))" "$@"
./scripts/ray-tests.sh # the Ray backend on a real two-node cluster, in a loopback-only namespace
./scripts/docs.sh      # DocC: fails on any warning and on a public symbol without ///
./scripts/fuzz.sh 15   # libFuzzer targets (Fuzz/), 15 s each: fails on any crash
