#!/usr/bin/env bash
# Sets the project up (see setup.sh; without its debug build), builds the
# server, its worker and runtimectl in release mode (.build/release) and
# starts the server on 127.0.0.1:8765 (the demo page is at http://127.0.0.1:8765/).
# Arguments go to RuntimeServer (e.g. --port 6789, --token T); --help lists them.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --no-build
swift build -c release --product runtime-worker
swift build -c release --product RuntimeServer
swift build -c release --product runtimectl
exec .build/release/RuntimeServer "$@"
