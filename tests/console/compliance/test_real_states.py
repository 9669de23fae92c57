"""Compliance over hosts whose agents reported real states.

The reports come from the agent's own collectors against real services:
ClamAV's clamd (up, then stopped) with a sigtool-built database and a real
clamscan log, nftables with default drop and default accept inside network
namespaces this test creates, NUT's upsd with dummy-ups on line and then on
battery, and Debian's sshd -T over a hardened config and over one that an
earlier Include overrides. They are ingested through console/agents/host_reports.py,
the run evaluates the built-in catalog, and every result of the two hosts is checked.
"""

from __future__ import annotations

import subprocess
import time
import uuid

import pytest

from console.compliance.catalog import load_catalog
from console.compliance import runs as compliance_runs
from console.access.actor import Actor
from probes.agent import collect_report
from probes.collectors.antivirus import AntivirusCollector
from probes.collectors.antivirus.clamav import ClamavProvider
from probes.collectors.firewall import FirewallCollector
from probes.collectors.sshd import SshdCollector
from probes.collectors.ups import UpsCollector
from tests.console.compliance.helpers import enrol, ingest, results_of
from console.lab.ups import write_device_file
from tests.fixtures.nut import DEVICE
from tests.probes.test_antivirus_clamav import clamd, eicar_db  # noqa: F401  (real clamd fixtures)
from tests.fixtures.processes import stop

DROP = """table inet filter {
  chain input { type filter hook input priority 0; policy drop; iifname "lo" accept; tcp dport 22 accept; }
  chain forward { type filter hook forward priority 0; policy drop; }
}"""
ACCEPT = """table inet filter {
  chain input { type filter hook input priority 0; policy accept; }
  chain forward { type filter hook forward priority 0; policy accept; }
}"""
GOOD, BAD = "dtnmt-web-01", "dtnmt-web-02"


def firewall_in_namespace(ruleset: str) -> FirewallCollector:
    """A namespace with this ruleset, read by the agent's collector; the namespace is removed afterwards."""
    name = f"opscmp-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", name], check=True, timeout=30)
    try:
        subprocess.run(["ip", "netns", "exec", name, "nft", "-f", "-"], input=ruleset, text=True, check=True, timeout=30)
        return FirewallCollector(command_prefix=["ip", "netns", "exec", name]).collect()
    finally:
        subprocess.run(["ip", "netns", "del", name], check=True, timeout=30)


def sshd_reading(folder, *lines: str) -> SshdCollector:
    """Debian's sshd -T over a config of these lines (with a host key of its own)."""
    folder.mkdir()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / "key")], check=True, timeout=30)
    (folder / "sshd_config").write_text("\n".join([f"HostKey {folder / 'key'}", *lines]) + "\n")
    return SshdCollector(folder / "sshd_config")


class Fixed:
    """A collector whose reading was taken earlier (the namespace is gone by the time the report is built)."""

    def __init__(self, name: str, value):
        self.name, self.value = name, value

    def collect(self):
        return self.value


def wait_for_flags(port: int, flags: list[str]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if UpsCollector([f"testups@127.0.0.1:{port}"]).collect()[0].get("status_flags") == flags:
            return
        time.sleep(0.2)
    raise AssertionError(f"dummy UPS did not show {flags}")


@pytest.fixture
def real_reports(clamd, upsd, tmp_path, session_factory, synced, sshd_runtime_dir):  # noqa: F811
    provider, eicar, process = clamd
    device, port, _server = upsd
    scan_log = tmp_path / "scan.log"
    subprocess.run(["clamscan", "-d", str(tmp_path / "db"), "--log", str(scan_log), str(eicar)],
                   capture_output=True, timeout=120)
    scanning = ClamavProvider(socket_path=provider.socket_path, scan_log=scan_log, proc=tmp_path / "proc")
    ups = UpsCollector([f"testups@127.0.0.1:{port}"])
    hardened = sshd_reading(tmp_path / "sshd-good", "PermitRootLogin no")
    (tmp_path / "vendor.conf").write_text("PermitRootLogin yes\n")  # read first, so it wins over the line after
    overridden = sshd_reading(tmp_path / "sshd-bad", f"Include {tmp_path / 'vendor.conf'}", "PermitRootLogin no")
    good = collect_report([AntivirusCollector([scanning]), Fixed("firewall", firewall_in_namespace(DROP)), ups,
                           hardened], GOOD, 60)
    stop(process)
    write_device_file(device, DEVICE.replace("ups.status: OL", "ups.status: OB DISCHRG").replace("battery.charge: 100", "battery.charge: 55")
                      .replace("battery.runtime: 1800", "battery.runtime: 600"))
    wait_for_flags(port, ["OB", "DISCHRG"])
    bad = collect_report([AntivirusCollector([provider]), Fixed("firewall", firewall_in_namespace(ACCEPT)), ups,
                          overridden], BAD, 60)
    for host, body in ((GOOD, good), (BAD, bad)):
        assert not body["errors"], body["errors"]
        ingest(session_factory, enrol(session_factory, host), body)
    return good, bad


EXPECTED = {
    # control: (result for the host with clamd up / drop / UPS on line, result for clamd down / accept / UPS on battery)
    "EP-AV-01": ("pass", "pass"),      # clamd installed on both
    "SRV-06": ("unknown", "unknown"),  # no Lynis run in these reports
    "SRV-07": ("unknown", "unknown"),
    "SRV-08": ("unknown", "unknown"),  # no pending-updates check in these reports
    "SRV-09": ("unknown", "unknown"),  # no package list in these reports (and no tracker data)
    "SRV-10": ("unknown", "unknown"),
    "EP-AV-02": ("pass", "fail"),      # engine answering PING / stopped
    "EP-AV-03": ("fail", "fail"),      # no clamonacc: no real-time protection
    "EP-AV-04": ("unknown", "unknown"),  # a sigtool database has no daily.cvd date
    "EP-AV-05": ("pass", "unknown"),   # a clamscan log from this run / no scan log
    "FW-01": ("pass", "pass"),
    "FW-02": ("pass", "fail"),
    "FW-03": ("pass", "fail"),
    "FW-04": ("pass", "pass"),         # nothing listens in the namespaces
    "FW-05": ("pass", "pass"),
    "UPS-01": ("pass", "pass"),
    "UPS-02": ("pass", "fail"),        # OL / OB DISCHRG
    "UPS-03": ("pass", "fail"),        # 100 % / 55 %
    "UPS-04": ("pass", "fail"),        # 1800 s / 600 s
    "UPS-05": ("pass", "pass"),        # 35 % load
    "UPS-06": ("pass", "pass"),        # "Done and passed"
    "SRV-01": ("pass", "pass"),        # reported just now
    "SRV-02": ("unknown", "unknown"),  # no health section in these reports
    "SRV-03": ("unknown", "unknown"),
    "SRV-04": ("pass", "fail"),        # sshd -T: root login no / yes from an Include read first
    "SRV-05": ("unknown", "unknown"),
    "LOG-01": ("unknown", "unknown"),
    "LOG-02": ("unknown", "unknown"),
}


def test_run_over_real_agent_reports_gives_each_expected_result(real_reports, session_factory):
    outcome = compliance_runs.execute(session_factory, Actor.cli(), load_catalog())
    results = results_of(session_factory, outcome.run_id)
    for control, (good, bad) in EXPECTED.items():
        assert (results[(control, GOOD)], results[(control, BAD)]) == (good, bad), control
    assert {c for c, t in results if t == GOOD} == set(EXPECTED)  # nothing else applies to a web portal
    # Hosts whose agent never reported are unknown, never pass; with no [[devices]], no device is judged.
    assert {r for (c, t), r in results.items() if t == "dtnmt-db-01"} == {"unknown"}
    assert not [c for c, _t in results if c.startswith(("UPS-DEV", "FW-XG"))]
    assert outcome.counts["fail"] == sum(v.count("fail") for v in EXPECTED.values())


def test_stale_report_makes_results_unknown_not_pass(real_reports, session_factory):
    from datetime import timedelta

    from console.models.base import utcnow

    outcome = compliance_runs.execute(session_factory, Actor.cli(), load_catalog(), now=utcnow() + timedelta(hours=2))
    results = results_of(session_factory, outcome.run_id)
    assert results[("EP-AV-01", GOOD)] == "unknown" and results[("FW-02", BAD)] == "unknown"
    assert results[("SRV-01", GOOD)] == "fail"  # the agent reporting is itself the control: 2 h silent fails
