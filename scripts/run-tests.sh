#!/bin/bash
# Run the whole suite. Browser tests use Debian's chromium; PostgreSQL tests
# start their own throwaway cluster from /usr/lib/postgresql/15/bin.
set -euo pipefail
cd "$(dirname "$0")/.."
export OPS_CHROMIUM="${OPS_CHROMIUM:-/usr/bin/chromium}"
exec .venv/bin/python -m pytest "$@"
