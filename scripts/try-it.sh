#!/usr/bin/env bash
# Generates a project from this checkout (default answers) into build/try/, installs
# it in its own .venv and runs its demo on the embedded SQLite file.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/template-venv.sh
rm -rf build/try
echo "== generating a project from $(pwd) into build/try"
.venv/bin/cookiecutter --no-input . --output-dir build/try
cd build/try/order-saga
echo "== installing it into build/try/order-saga/.venv"
python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e .
echo "== running its demo: order-saga demo"
.venv/bin/order-saga demo
echo "== done: the project is in build/try/order-saga; see its README.md"
