#!/bin/bash
# Copy the web assets installed from the npm registry (package-lock.json) into
# console/static/vendor/, where the console serves them itself: no CDN, so the
# console works on an isolated network.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
vendor=console/static/vendor
rm -rf "$vendor.tmp"
mkdir -p "$vendor.tmp"
cp node_modules/htmx.org/dist/htmx.min.js "$vendor.tmp/"
cp node_modules/chart.js/dist/chart.umd.min.js "$vendor.tmp/"
cp node_modules/@picocss/pico/css/pico.min.css "$vendor.tmp/"
cp node_modules/htmx.org/LICENSE "$vendor.tmp/htmx.LICENSE" 2>/dev/null || true
cp node_modules/chart.js/LICENSE.md "$vendor.tmp/chart.js.LICENSE.md" 2>/dev/null || true
cp node_modules/@picocss/pico/LICENSE.md "$vendor.tmp/pico.LICENSE.md" 2>/dev/null || true
rm -rf "$vendor"
mv "$vendor.tmp" "$vendor"
echo "web assets: $(ls "$vendor" | tr '\n' ' ')"
