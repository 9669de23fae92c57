#!/bin/bash
# `make demo`: the console with the estate built so far, on SQLite, on
# http://127.0.0.1:8080/, and a host agent on this machine reporting to it.
# The demo agent reports as the inventory host dtnmt-mon-01 (this machine is
# not in the inventory); it re-enrols at every start.
# As root, the demo also brings up a lab of OPS_DEMO_LAB_HOSTS (default 3) SSH
# hosts (`ops lab up --name demo`), adds them to the console's inventory and
# provisions them with site.yml; their agents report over the lab's bridge.
# OPS_DEMO_LAB_HOSTS=0 leaves the lab out. The lab is removed when the demo stops.
# A replay of Kaspersky Security Center's Open API (`ops lab ksc`, HTTPS on 127.0.0.1:13299) gives the
# Endpoints page its 300 workstations and the antivirus coverage figure.
# A local mailbox (`ops lab mailbox`, SMTP on 127.0.0.1:2525 into the Maildir
# var/demo-mail/) receives the console's notifications (ops.toml's channel
# demo-mailbox); as root, a UPS to play with (`ops lab ups start`, NUT upsd on
# 127.0.0.1:13493, the [[devices]] table demo-ups); `ops scheduler run` sends
# the outbox, polls the devices and looks for stale hosts.
# As root, the department's services run on the lab's bridge (`ops lab services up --name demo`: web,
# dns, motcua with a certificate expiring in 5 days); the console reads them from ops.demo.toml, which is
# ops.toml plus their [[availability.services]] tables, shown on the Availability page.
# As root, two uplinks on a router namespace and a server room (`ops lab uplinks up --name demo`: snmpd, snmpsim);
# their [[devices]] tables are added to ops.demo.toml; `ops lab uplink down 1` plays a failover.
# As root, an inline IPS sensor (`ops lab inline`): attacker 198.18.252.1 -- Suricata af-packet IPS -- a web server
# 198.18.252.2, each a network namespace; the sensor lab-inline (mode "ips") is added to ops.demo.toml, the console
# deploys the active version to it, `ops alerts follow` reads its EVE, and every minute the attacker asks for the
# land database's admin path (rule 9100001) and for the front page (var/demo-inline.log says what came back).
# OPS_DEMO_PORT (default 8080) moves the console to another port.
# Every step that fails says which step, what to do, and what the demo goes
# on without; the lab hosts are said to report only once the console has their reports.
set -euo pipefail
cd "$(dirname "$0")/.."
OPS=.venv/bin/ops
DEMO_HOST=dtnmt-mon-01
PORT=${OPS_DEMO_PORT:-8080}
URL=http://127.0.0.1:$PORT
LAB_HOSTS=${OPS_DEMO_LAB_HOSTS:-3}
REPORT_WAIT_SECONDS=240  # the lab's agents report within a minute of their start
MAIL_DIR=var/demo-mail
DEMO_CONFIG=ops.demo.toml  # ops.toml plus the lab's services (next to ops.toml: its relative paths hold)
UPS_PORT=13493
[[ $(id -u) -eq 0 ]] || LAB_HOSTS=0

step_failed() {  # step, what to do, what the demo goes on without
    echo "demo step '$1' failed (see above). What to do: $2. The demo goes on without $3." >&2
}

lab_reporting() {  # how many lab hosts the console has a report from, sent since $1 (UTC, "YYYY-MM-DD HH:MM")
    # (an earlier demo's lab hosts keep their last report in the database: those do not count)
    { $OPS fleet list 2>/dev/null || true; } \
        | awk -v since="$1" '$1 ~ /^lab-host-/ && $3 != "-" && ($3 " " $4) >= since {n++} END {print n+0}'
}

port_answers() {
    .venv/bin/python -c "import socket, sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=1).close()" "$1" 2>/dev/null
}

rm -f "$DEMO_CONFIG"  # an earlier demo's: its lab's addresses are gone
$OPS db upgrade
$OPS inventory sync
$OPS user bootstrap
# Known vulnerabilities: the committed excerpt of real Debian security tracker entries (README: where the full
# file comes from); the lab hosts' agents report their packages and the Vulnerabilities page matches them.
$OPS vulns import tests/data/debian-security-tracker-excerpt.json --date 2026-12-07 \
    || step_failed "import the vulnerability data (ops vulns import)" "run .venv/bin/ops vulns import tests/data/debian-security-tracker-excerpt.json and read its message" \
        "CVEs on the hosts' pages"
# IDS rules: the department's rules (rules/local) built and checked with suricata -T into version 1.
$OPS rules versions | grep -qE '^ +[0-9]' || $OPS rules update --reason "make demo" \
    || step_failed "build the IDS rules" "run .venv/bin/ops rules update and read its messages" \
        "a ruleset: the lab sensor gets none, so no live alerts"

lab_console="" services_ready=""
if (( LAB_HOSTS > 0 )); then
    $OPS lab down --name demo >/dev/null  # what an earlier demo left
    if $OPS lab up "$LAB_HOSTS" --name demo --console-port "$PORT"; then
        $OPS lab sync-inventory --name demo
        # Jobs (the rules deploy to lab-sensor, playbook runs) reach the lab's hosts through this inventory.
        export OPS_INVENTORY_PATH="$PWD/var/lab/demo-with-estate"
        # The department's services on the lab's bridge, for the Availability page: web (HTTP), dns (dnsmasq)
        # and motcua (HTTPS, its certificate expiring in 5 days, needing dns). The console reads them from
        # $DEMO_CONFIG: ops.toml plus their [[availability.services]] tables (ops.toml itself is left as shipped).
        if $OPS lab services up --name demo --write-config "$DEMO_CONFIG"; then
            export OPS_CONFIG="$PWD/$DEMO_CONFIG"
            services_ready=1
        else
            step_failed "start the lab's services (ops lab services up)" \
                "read its message above (dnsmasq comes from scripts/install-debian-packages.sh base), then make demo again" \
                "the services on the Availability page"
        fi
    else
        step_failed "make the lab (ops lab up)" \
            "run scripts/install-debian-packages.sh base as root, then .venv/bin/ops lab down --name demo and make demo again" \
            "its lab hosts, live IDS alerts, Lynis and the remediation walk-through (offline IDS alerts instead)"
        LAB_HOSTS=0
    fi
fi
if (( LAB_HOSTS == 0 )); then
    # No lab, no live sensor: real Suricata over scapy-made traffic of the last minutes (offline), ingested once.
    eve=$($OPS lab traffic --dir var/demo-eve) && $OPS alerts ingest --sensor demo-sensor "$eve" \
        || step_failed "offline IDS alerts (ops lab traffic)" "install suricata (scripts/install-debian-packages.sh base)" \
            "IDS alerts"
fi

uplinks_ready=""
if [[ $(id -u) -eq 0 ]]; then
    # The department's two uplinks and a server room: a router namespace whose wan1 and wan2 lead to two ISP
    # namespaces (Debian's snmpd reports their IF-MIB counters; a ping takes uplink 1 until its line is cut)
    # and an APC probe served by snmpsim on 127.0.0.1:16161. Their [[devices]] tables go into $DEMO_CONFIG.
    $OPS lab uplinks down --name demo >/dev/null  # what an earlier demo left
    if $OPS lab uplinks up --name demo --write-config "$DEMO_CONFIG"; then
        export OPS_CONFIG="$PWD/$DEMO_CONFIG"
        uplinks_ready=1
    else
        step_failed "make the uplinks and the server room (ops lab uplinks up)" \
            "read its message above (snmpd and snmp come from scripts/install-debian-packages.sh base, snmpsim from make demo-setup), then make demo again" \
            "the uplinks and the server room on the Overview"
    fi
fi

console="" tasks_worker="" agent="" mailbox="" ups="" scheduler="" traffic="" ksc="" inline="" follower=""
# Ctrl-C or a TERM ends the demo (not only the step it is in); leaving, it stops what it started and removes the lab.
trap 'kill $console $tasks_worker $agent $lab_console $scheduler $ups $mailbox $traffic $ksc $inline $follower 2>/dev/null || true; [[ -n "$inline" ]] && wait $inline 2>/dev/null || true; (( LAB_HOSTS > 0 )) && $OPS lab down --name demo || true; [[ -n "$uplinks_ready" ]] && $OPS lab uplinks down --name demo >/dev/null || true; rm -f "$DEMO_CONFIG"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

inline_ready=""
if [[ $(id -u) -eq 0 ]]; then
    # The inline IPS sensor (console/lab/inline.py): its [rules] sensors entry and EVE go into $DEMO_CONFIG once
    # Suricata runs (it fails closed: stopped, nothing crosses); it removes its namespaces when stopped.
    $OPS lab inline --dir var/lab/demo-inline --attack-every 60 --write-config "$DEMO_CONFIG" >var/demo-inline.log 2>&1 &
    inline=$!
    for _ in $(seq 1 180); do
        grep -q "console configuration with the inline sensor" var/demo-inline.log 2>/dev/null && break
        kill -0 "$inline" 2>/dev/null || break
        sleep 0.5
    done
    if grep -q "console configuration with the inline sensor" var/demo-inline.log 2>/dev/null; then
        export OPS_CONFIG="$PWD/$DEMO_CONFIG"
        inline_ready=1
    else
        cat var/demo-inline.log >&2 || true
        step_failed "start the inline IPS sensor (ops lab inline)" \
            "read var/demo-inline.log (suricata and ethtool come from scripts/install-debian-packages.sh base), then make demo again" \
            "the inline sensor lab-inline: no blocked attacks"
    fi
fi

# The demo's Kaspersky Security Center (a replay of its Open API, console/lab/ksc.py): 300 workstations in the
# department's units, some with old bases or protection off; the console reads it ([endpoints] in ops.toml).
export OPS_DEMO_KSC_PASSWORD=${OPS_DEMO_KSC_PASSWORD:-demo-ksc-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')}
$OPS lab ksc --port 13299 --hosts 300 &
ksc=$!
# The demo's mailbox: the console's notifications (channel demo-mailbox in ops.toml) arrive in $MAIL_DIR/new/.
$OPS lab mailbox --port 2525 --dir "$MAIL_DIR" &
mailbox=$!
# The demo's UPS (NUT's dummy-ups and upsd need root): `ops lab ups on-battery|low-battery|online` plays a power cut.
if [[ $(id -u) -eq 0 ]]; then
    $OPS lab ups start --port "$UPS_PORT" --name demo &
    ups=$!
else
    echo "not root: the demo runs without its UPS (NUT's upsd needs root); demo-ups shows as unknown"
fi

$OPS console serve --host 127.0.0.1 --port "$PORT" &
console=$!
$OPS tasks worker &  # Run now, Poll now and rules deploys run here (docs/tasks.md)
tasks_worker=$!

for _ in $(seq 1 60); do
    .venv/bin/python -c "import urllib.request; urllib.request.urlopen('$URL/healthz', timeout=1)" 2>/dev/null && break
    sleep 0.5
done

for _ in $(seq 1 20); do port_answers 13299 && break; sleep 0.5; done
$OPS endpoints sync || step_failed "read the demo KSC (ops endpoints sync)" "open $URL/endpoints/, which says why" \
    "the workstations and the antivirus coverage figure"
echo "endpoints and antivirus coverage: $URL/endpoints/ (unmanaged devices: .venv/bin/ops endpoints unmanaged)"

for _ in $(seq 1 40); do  # the mailbox and the UPS are up within seconds, or have said why not and exited
    port_answers 2525 || ! kill -0 "$mailbox" 2>/dev/null || { sleep 0.5; continue; }
    [[ -z "$ups" ]] || port_answers "$UPS_PORT" || ! kill -0 "$ups" 2>/dev/null || { sleep 0.5; continue; }
    break
done
port_answers 2525 || step_failed "start the demo mailbox (ops lab mailbox)" "free port 2525 and start make demo again" \
    "mail: notifications stay in the outbox (.venv/bin/ops notify log)"
ups_ready=""
if [[ -n "$ups" ]] && port_answers "$UPS_PORT"; then
    ups_ready=1
    $OPS devices poll --device demo-ups || true  # the first reading now; then the scheduler every interval_seconds
elif [[ -n "$ups" ]]; then
    step_failed "start the demo UPS (ops lab ups start)" "free port $UPS_PORT; check nut-server is installed" \
        "its UPS (demo-ups shows as unknown)"
fi
if [[ -n "$uplinks_ready" ]]; then  # the first reading now; the scheduler's next one gives the traffic rates
    $OPS devices poll --device uplink-isp1 && $OPS devices poll --device uplink-isp2 \
        && $OPS devices poll --device room-main || true
fi
if [[ -n "$inline_ready" ]]; then
    # The active version onto the inline sensor (kind local: the rules file, then Suricata's reload-rules), and its
    # EVE into the console.
    $OPS rules deploy --sensor lab-inline \
        || step_failed "deploy the ruleset to lab-inline (ops rules deploy --sensor lab-inline)" \
            "open $URL/rules/ and read the deploy's message" "rules on the inline sensor (it passes everything)"
    $OPS alerts follow >var/demo-follow.log 2>&1 &
    follower=$!
fi
# The outbox every 2 s, due devices and stale hosts every minute, the nightly compliance run (docs/notifications.md).
$OPS scheduler run &
scheduler=$!

token=$($OPS fleet enroll-token --host "$DEMO_HOST" --hours 1 | sed -n 's/^token (shown once): //p')
$OPS agent enroll --console "$URL" --token "$token" --host "$DEMO_HOST"
$OPS agent run &
agent=$!
echo "demo agent reporting as $DEMO_HOST every [agent] interval_seconds; open $URL/hosts/$DEMO_HOST"

if (( LAB_HOSTS > 0 )); then
    # The lab's agents reach the console at the lab bridge's address.
    gateway=$(.venv/bin/python -c "import json; print('198.19.%d.1' % json.load(open('var/lab/demo/state.json'))['subnet_index'])")
    $OPS console serve --host "$gateway" --port "$PORT" &
    lab_console=$!
    secrets=$(mktemp) && chmod 600 "$secrets"
    token=$($OPS fleet enroll-token --uses "$LAB_HOSTS" --hours 1 | sed -n 's/^token (shown once): //p')
    printf '{"ops_agent_enrollment_token": "%s"}\n' "$token" > "$secrets"
    echo "provisioning the $LAB_HOSTS lab hosts with playbooks/site.yml (a few minutes) ..."
    provision_start=$(date -u +'%Y-%m-%d %H:%M')
    provisioned=""
    if (cd playbooks && ../.venv/bin/ansible-playbook -i ../var/lab/demo/inventory site.yml -e "@$secrets"); then
        provisioned=1
    else
        step_failed "provision the lab (playbooks/site.yml)" \
            "read the failed task above; scripts/install-debian-packages.sh base brings every program the roles run" \
            "the hosts that failed (their agents may not report) and, if lab-host-01 failed, live IDS alerts"
    fi
    rm -f "$secrets"
    # Said only once the console holds a report of each lab host (bounded wait).
    reporting=0
    deadline=$((SECONDS + REPORT_WAIT_SECONDS))
    while (( SECONDS < deadline )); do
        reporting=$(lab_reporting "$provision_start")
        (( reporting >= LAB_HOSTS )) && break
        kill -0 "$lab_console" 2>/dev/null || break
        sleep 3
    done
    last=$(printf %02d "$LAB_HOSTS")
    if (( reporting >= LAB_HOSTS )); then
        echo "lab hosts lab-host-01..$last report to the console: open $URL/hosts"
    else
        step_failed "lab hosts report to the console" \
            "read var/lab/demo/hosts/lab-host-NN/var/log/ops-agent/agent.log; .venv/bin/ops fleet list shows who reported" \
            "$((LAB_HOSTS - reporting)) of the $LAB_HOSTS lab hosts (only $reporting reported within ${REPORT_WAIT_SECONDS} s)"
    fi
    # The live IDS path: version 1 onto lab-host-01's Suricata (a job: site.yml --tags ids_sensor), then a
    # round of attacks on its wire every minute; its agent ships the alerts (EVE) to the console.
    if [[ -z "$provisioned" ]]; then
        echo "the ruleset is not deployed to lab-sensor: the lab's provisioning failed (see above): no live alerts" >&2
    elif $OPS rules deploy; then
        $OPS lab traffic --live demo --every 60 >var/demo-traffic.log 2>&1 &
        traffic=$!
        echo "live IDS traffic every minute on lab-host-01's wire; alerts arrive within a minute or two: open $URL/alerts/"
    else
        step_failed "deploy the ruleset to lab-sensor (ops rules deploy)" "open $URL/rules/ and read the deploy's job" \
            "live IDS alerts"
    fi
fi

sleep 5
# Exit 1 means some controls failed (most hosts have no agent here): the demo shows them.
$OPS compliance run --format html,pdf,csv || true
echo "compliance run stored; open $URL/compliance/"
# Its failure messages into the mailbox now, not at the scheduler's next round.
$OPS notify deliver || true
mails=$(find "$MAIL_DIR/new" -type f 2>/dev/null | wc -l)
echo "notifications: $MAIL_DIR/new/ ($mails messages); open one with: less $MAIL_DIR/new/*"
# Information systems with their security levels, percent of requirements met and transition gap,
# and the land procedures system's level dossier (Vietnamese and English PDF).
$OPS compliance systems
$OPS compliance dossier system_land_procedures --format pdf,html || true
echo "systems and their levels: $URL/compliance/systems/ (dossier: $URL/compliance/systems/system_land_procedures/dossier.pdf?lang=vi)"
if [[ -n "$services_ready" ]]; then
    echo "the department's services (web, dns, motcua): $URL/availability/; a service fails with"
    echo "  .venv/bin/ops lab services down --name demo web   (down after 3 checks, 15 s apart; back: ... up --name demo web)"
    # This month's availability report so far, filed as the scheduler files each month on the 1st (HTML, PDF, CSV).
    $OPS availability report --month "$(TZ=Asia/Ho_Chi_Minh date +%Y-%m)" --file >/dev/null \
        && echo "this month's availability report (vi/en, PDF): $URL/availability/reports/" \
        || step_failed "file this month's availability report" "run .venv/bin/ops availability report --month YYYY-MM --file" \
            "the availability report"
fi
if [[ -n "$inline_ready" ]]; then
    echo "the inline IPS sensor lab-inline: every minute the attacker 198.18.252.1 asks 198.18.252.2 for /landdb/admin"
    echo "  (rule 9100001, an alert: answered) and / (tail -f var/demo-inline.log); its alerts: $URL/alerts/?sensor=lab-inline"
    echo "  block it: README, \"Inline IPS sensors\" (drop the rule on $URL/rules/, the preview, deploy, then Allow)"
fi
if [[ -n "$ups_ready" ]]; then
    echo "a power cut: .venv/bin/ops lab ups on-battery (then low-battery, online), and watch $URL/ (Devices tile)"
    echo "  and the mailbox $MAIL_DIR/new/; the console reads the UPS every 30 s (now: .venv/bin/ops devices poll --device demo-ups)"
fi
if [[ -n "$uplinks_ready" ]]; then
    echo "two uplinks and a server room on $URL/ (Devices tile) and $URL/devices/; once uplink-isp1 carries the"
    echo "  traffic (the second poll, within two minutes), a failover: .venv/bin/ops lab uplink down 1 --name demo"
    echo "  (back: ... uplink up 1); the room heats up: .venv/bin/ops lab room temperature 31 --name demo;"
    echo "  the mailbox $MAIL_DIR/new/ gets uplink.down, uplink.failover and the room's alarm (now: .venv/bin/ops devices poll)"
fi
wait $console
