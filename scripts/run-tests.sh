#!/bin/bash
# Run the whole suite. Browser tests use Debian's chromium; PostgreSQL tests
# start their own throwaway cluster from /usr/lib/postgresql/15/bin.
set -euo pipefail
cd "$(dirname "$0")/.."
export OPS_CHROMIUM="${OPS_CHROMIUM:-/usr/bin/chromium}"
# The 30 slowest tests are listed at the end: the suite is kept under 25 minutes on CI.
exec .venv/bin/python -m pytest --durations=30 "$@"
