#!/usr/bin/env bash
# Prepares ./.venv-ray, a virtual environment used ONLY by the Ray backend's
# tests (scripts/ray-cluster.sh), with ray[default] pinned to RAY_VERSION.
#   - Debian package python3-venv (installed with apt-get when missing)
#   - ./.venv-ray from Debian's /usr/bin/python3 (falls back to python3 on PATH)
#   - pip install "ray[default]==$RAY_VERSION" into it
# Safe to run again and fast then: when .venv-ray already has that Ray version
# (read from its package metadata, no import of ray) pip is not run at all.
set -euo pipefail
cd "$(dirname "$0")/.."

RAY_VERSION=2.60.0
VENV=.venv-ray
started=$(date +%s.%N)
say() { printf '==> %s\n' "$*"; }
elapsed() { awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }

if [ -x /usr/bin/python3 ]; then base_python=/usr/bin/python3; else base_python=$(command -v python3); fi

installed_version() {
  [ -x "$VENV/bin/python" ] || return 0
  "$VENV/bin/python" - <<'EOF' 2>/dev/null || true
import importlib.metadata as m
try:
    print(m.version("ray"))
except m.PackageNotFoundError:
    pass
EOF
}

if [ "$(installed_version)" = "$RAY_VERSION" ] && [ -x "$VENV/bin/ray" ] && [ -f "$VENV/.ray-default-$RAY_VERSION" ]; then
  say "$VENV already has ray[default]==$RAY_VERSION ($(elapsed) s)"
  exit 0
fi

if [ "$base_python" = /usr/bin/python3 ]; then
  source scripts/debian-packages.sh
  install_debian_packages python3-venv
fi

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
  say "creating $VENV from $base_python"
  rm -rf "$VENV"
  "$base_python" -m venv "$VENV"
fi

say "installing ray[default]==$RAY_VERSION into $VENV"
rm -f "$VENV"/.ray-default-*
"$VENV/bin/pip" install --quiet --disable-pip-version-check "ray[default]==$RAY_VERSION"
# The stamp says the [default] extra (dashboard, job server) went in too, not just ray.
touch "$VENV/.ray-default-$RAY_VERSION"
say "ray $(installed_version) installed in $VENV ($(elapsed) s)"
