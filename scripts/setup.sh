#!/usr/bin/env bash
# Prepares a fresh Debian machine for this project and builds it:
#   - Debian packages: libpython3-dev (the embedded CPython), python3-venv, pkg-config
#   - ./.venv from Debian's /usr/bin/python3 (the Python libpython3.11 belongs to),
#     with requirements.txt from PyPI, at the versions constraints.txt pins
#   - swift build (not with --no-build)
# With --test it also installs what the test suite needs: Debian's chromium and
# chromium-driver, openssl (test certificates for TLS on the worker port) and
# iproute2 (loopback in the Ray cluster's network namespace), and
# requirements-test.txt (Selenium) into ./.venv.
# Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

with_test=0
build=1
for argument in "$@"; do
  case "$argument" in
    --test) with_test=1 ;;
    --no-build) build=0 ;;
    *) echo "setup.sh: unknown option $argument" >&2; exit 2 ;;
  esac
done

say() { printf '==> %s\n' "$*"; }

source scripts/debian-packages.sh
packages=(libpython3-dev python3-venv pkg-config)
((with_test)) && packages+=(chromium chromium-driver openssl iproute2)
install_debian_packages "${packages[@]}"

if [ ! -x .venv/bin/python ] || [ "$(readlink -f .venv/bin/python)" != "$(readlink -f /usr/bin/python3)" ]; then
  say "creating .venv from /usr/bin/python3"
  rm -rf .venv
  /usr/bin/python3 -m venv .venv
fi
requirements=(requirements.txt)
((with_test)) && requirements+=(requirements-test.txt)
stamp=.venv/.requirements.sha
want=$(cat "${requirements[@]}" constraints.txt | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing Python packages into .venv"
  .venv/bin/pip install --quiet --disable-pip-version-check "${requirements[@]/#/-r}" -c constraints.txt
  echo "$want" > "$stamp"
fi

if ((build)); then
  say "building"
  swift build
fi
