#!/bin/bash
# Install the Debian packages Ops Console needs, only those missing.
#   scripts/install-debian-packages.sh base   what `make demo` needs
#   scripts/install-debian-packages.sh test   plus what `make test` needs
# Runs as root on Debian 12 (bookworm). Quick when nothing is missing.
set -euo pipefail

base=(
    python3 python3-venv python3-dev gcc make git ca-certificates tzdata
    fonts-noto-core        # Vietnamese glyphs in PDF reports
    libpango-1.0-0 libpangoft2-1.0-0   # WeasyPrint renders the PDF reports
    openssh-server iproute2 python3-psutil python3-click python3-cryptography python3-pip python3-wheel python3-setuptools  # the lab (make demo) and its agents
    nut-server nut-client  # the demo's UPS (ops lab ups start: dummy-ups and upsd) and the NUT tests
    lynis python3-apt      # the agents' Lynis audits and pending security updates (demo lab hosts and tests)
    nftables               # ops_firewall loads each lab host's ruleset (nft); the agents read it back
    ethtool                # the IDS sensor's capture interface runs with segmentation offloads off
    fping                  # ICMP round-trip time and loss: availability checks, an uplink's ISP gateway
    dnsmasq-base           # the demo's DNS service (ops lab services) and the DNS check tests' test zones
    snmp iputils-ping      # the demo's uplinks (ops lab uplinks): snmpget sees snmpd and the room answer; ping is the traffic
    curl                   # the inline IPS sensor's attacker (ops lab inline, console/lab/inline.py) in the demo and the tests
)
# Daemons the demo's lab runs once per lab host, as plain processes in the
# host's network namespace: chronyd -x (ops_baseline) and auditd (the LOG-01
# remediation). Their postinst starts the daemon through invoke-rc.d where
# systemd does not run, and a machine-wide chronyd would set this machine's
# clock: they are installed with every daemon start refused (policy-rc.d exit
# 101, Debian policy 9.3.3.1). tests/test_packages.py checks that every program
# the demo's roles, lab and agents run comes from a package of these lists.
# snmpd likewise: the demo's uplinks (ops lab uplinks) and the uplink tests run one in a router namespace, never
# the machine-wide one its postinst would start on 127.0.0.1:161.
base_quiet=(chrony auditd snmpd)
test=(
    chromium postgresql-15
    postgresql-client-15   # pg_dump, pg_restore, psql: `ops db backup|restore` on PostgreSQL (tests/console/backup)
    clamav clamav-daemon
    iptables               # the agent's firewall reading falls back to iptables-save (firewall tests)
    openssh-server         # lab hosts: one sshd per network namespace
    poppler-utils          # pdftotext reads the PDF reports back
    rsyslog rsyslog-gnutls # notification syslog tests (UDP, TCP, TLS)
    slapd ldap-utils       # directory sign-in tests: a slapd of their own on a loopback port (the service stays off)
    libnss3-tools          # certutil: the console role's lab test makes chromium trust the role's CA (NSS database)
    iperf3                 # bench/ips_inline.py: throughput through the inline sensor and around it
    debsecan               # tests/console/vulns: the matching checked against Debian's own scanner, offline
)
# nginx: the console role's lab test starts one in a lab host's namespace
# (tests/playbooks/test_console_role.py); none runs machine-wide, so it is
# installed with daemon starts refused, like base_quiet.
test_quiet=(nginx)

wanted=("${base[@]}")
if [[ "${1:-base}" == "test" ]]; then
    wanted+=("${test[@]}")
fi

# Suricata 7 is not in bookworm main: it comes from bookworm-backports, the
# same Debian archive with the same signing key. The archive's address is read
# from this machine's own apt sources.
# The demo builds and checks a ruleset and runs Suricata offline, so both
# `make demo` and `make test` need it.
backports=(suricata)

add_backports() {
    local list=/etc/apt/sources.list.d/bookworm-backports.sources uri
    [[ -f "$list" ]] && return 0
    uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    if [[ -z "$uri" ]]; then
        uri=$(awk '$1 == "deb" && $3 == "bookworm" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
    fi
    [[ -n "$uri" ]] || { echo "cannot find the Debian archive in apt's sources" >&2; return 1; }
    printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$uri" > "$list"
}

missing=()
for package in "${wanted[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$package")
done

missing_backports=()
for package in "${backports[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing_backports+=("$package")
done

quiet=("${base_quiet[@]}")
if [[ "${1:-base}" == "test" ]]; then
    quiet+=("${test_quiet[@]}")
fi
missing_quiet=()
for package in "${quiet[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing_quiet+=("$package")
done

if (( ${#missing[@]} + ${#missing_backports[@]} + ${#missing_quiet[@]} == 0 )); then
    echo "debian packages: all present (${1:-base})"
    exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
    echo "missing Debian packages: ${missing[*]} ${missing_backports[*]} ${missing_quiet[*]} (run as root, or install them with apt-get)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if (( ${#missing_backports[@]} )); then
    add_backports
fi
apt-get update -qq
if (( ${#missing[@]} )); then
    echo "installing Debian packages: ${missing[*]}"
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
refuse_daemon_starts() {
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\n# install-debian-packages.sh: no daemon starts while it installs\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
}
if (( ${#missing_backports[@]} )); then
    # The demo and the tests run Suricata as their own processes; a machine-wide suricata.service would
    # sniff this machine's own interface: its start is refused too.
    echo "installing from bookworm-backports, its daemon left stopped: ${missing_backports[*]}"
    refuse_daemon_starts
    apt-get install -y -qq --no-install-recommends -t bookworm-backports "${missing_backports[@]}"
fi
if (( ${#missing_quiet[@]} )); then
    echo "installing Debian packages, their daemons left stopped: ${missing_quiet[*]}"
    refuse_daemon_starts
    apt-get install -y -qq --no-install-recommends "${missing_quiet[@]}"
fi
