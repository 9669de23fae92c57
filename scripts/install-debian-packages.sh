#!/bin/bash
# Install the Debian packages Ops Console needs, only those missing.
#   scripts/install-debian-packages.sh base   what `make demo` needs
#   scripts/install-debian-packages.sh test   plus what `make test` needs
# Runs as root on Debian 12 (bookworm). Quick when nothing is missing.
set -euo pipefail

base=(python3 python3-venv python3-dev gcc make git ca-certificates tzdata)
test=(chromium postgresql-15 fonts-noto-core clamav clamav-daemon nut-server nut-client nftables iptables iproute2)

wanted=("${base[@]}")
if [[ "${1:-base}" == "test" ]]; then
    wanted+=("${test[@]}")
fi
command -v npm >/dev/null 2>&1 || wanted+=(npm)

missing=()
for package in "${wanted[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$package")
done

if (( ${#missing[@]} == 0 )); then
    echo "debian packages: all present (${1:-base})"
    exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
    echo "missing Debian packages: ${missing[*]} (run as root, or install them with apt-get)" >&2
    exit 1
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
