#!/usr/bin/env bash
# Runs the template's own tests, in .venv (made on first use). Extra arguments go
# to pytest. PostgreSQL tests of the generated project run when TEST_POSTGRES_URL
# is set (.ci/run sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/template-venv.sh
exec .venv/bin/python -m pytest "$@"
