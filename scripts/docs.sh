#!/usr/bin/env bash
# Builds the library's documentation with DocC (swift-docc-plugin) and fails on
# any warning (a link that does not resolve, a parameter documented that the
# function does not have) and on any public symbol of RuntimeCore, RuntimeJSON, RuntimeRay
# or WorkerFrames without a /// comment (scripts/doc-coverage.py).
#
# The archive, every module in one: .build/plugins/Swift-DocC/outputs/python-runtime.doccarchive
# To read it: python3 -m http.server -d .build/plugins/Swift-DocC/outputs/python-runtime.doccarchive 8000
# and open http://127.0.0.1:8000/documentation/runtimecore
set -euo pipefail
cd "$(dirname "$0")/.."
swift package generate-documentation \
    --target RuntimeJSON --target WorkerFrames --target RuntimeCore --target RuntimeProtocol --target RuntimeRay \
    --enable-experimental-combined-documentation --disable-indexing \
    --experimental-skip-synthesized-symbols \
    --experimental-documentation-coverage \
    --warnings-as-errors
python3 scripts/doc-coverage.py .build/plugins/Swift-DocC/outputs/intermediates RuntimeJSON WorkerFrames RuntimeCore RuntimeRay
