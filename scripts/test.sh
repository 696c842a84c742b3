#!/usr/bin/env bash
# Runs the template's own tests, in .venv (made on first use). Extra arguments go
# to pytest. PostgreSQL tests of the generated project run when TEST_POSTGRES_URL
# is set (.ci/run sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { echo "error: Python 3.11 or newer is needed as python3" >&2; exit 2; }
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
exec .venv/bin/python -m pytest "$@"
