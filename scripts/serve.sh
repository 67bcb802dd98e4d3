#!/usr/bin/env bash
# Sets the project up (see setup.sh) and runs the bundled example program
# through RuntimeCore with runtimectl, printing its placeholders.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec .build/debug/runtimectl run --local examples/hello/main.py examples/hello/speedPrediction2.py \
  --get coefficients --get score "$@"
