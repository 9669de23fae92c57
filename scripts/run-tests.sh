#!/bin/bash
# Run the whole suite (docs/testing.md). Browser tests use Debian's chromium; PostgreSQL tests
# start a throwaway cluster per pytest-xdist worker from /usr/lib/postgresql/15/bin.
#   scripts/run-tests.sh                      the whole suite, in parallel (make test)
#   scripts/run-tests.sh --check              the fast tier: no lab, browser or external server (make check)
#   OPS_TEST_WORKERS=1 scripts/run-tests.sh   one process, no xdist
#   scripts/run-tests.sh tests/console/alerts one area (any pytest arguments)
set -euo pipefail
cd "$(dirname "$0")/.."
export OPS_CHROMIUM="${OPS_CHROMIUM:-/usr/bin/chromium}"
# Python keeps its compiled modules: with PYTHONDONTWRITEBYTECODE set (some machines set it for every
# process) each xdist worker compiled and assertion-rewrote every test module again at collection (14 s of
# CPU instead of 5 s, measured on 2026-12-07), and every `ops` the tests start compiled the console again.
unset PYTHONDONTWRITEBYTECODE
# Most slow tests wait (on SSH, Suricata, Lynis, a browser) rather than compute, so more workers than
# this machine's 2 cores keep both busy; the count was measured (docs/testing.md).
workers="${OPS_TEST_WORKERS:-4}"
parallel=()
if [[ "$workers" != "1" ]]; then
    # loadfile: a file's tests run on one worker, so a module-scoped set-up (a lab provisioned once) is made
    # once (pytest-xdist 3.8's loadgroup did not keep xdist_group marks together here: docs/testing.md);
    # no reorder: the files with slow tests, put first by tests/conftest.py, start first.
    parallel=(-n "$workers" --dist loadfile --no-loadscope-reorder)
fi
if [[ "${1:-}" == "--check" ]]; then
    shift
    # The import contracts run as tests/test_architecture.py, ansible-lint as tests/playbooks/test_playbooks_static.py.
    exec .venv/bin/python -m pytest "${parallel[@]}" -m "not external and not lab and not browser" \
        --durations=10 "$@"
fi
# The 30 slowest tests are listed at the end.
exec .venv/bin/python -m pytest "${parallel[@]}" --durations=30 "$@"
