#!/usr/bin/env bash
# Sets the project up (see setup.sh) and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --test
swift build --build-tests
swift test --skip-build "$@"
./scripts/ray-tests.sh # the Ray backend on a real two-node cluster, in a loopback-only namespace
./scripts/docs.sh      # DocC: fails on any warning and on a public symbol without ///
./scripts/fuzz.sh 15   # libFuzzer targets (Fuzz/), 15 s each: fails on any crash
