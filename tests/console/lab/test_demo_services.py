"""`ops lab services`: the demo's services (Python's http.server over HTTP and HTTPS, Debian's dnsmasq) in a lab,
checked by the console's own availability runner as `make demo` does. The clock is the runner's `now`: the rounds
are CHECK_INTERVAL_SECONDS apart without waiting; the servers and the checks are real."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from console.availability import runner
from console.availability.states import shown_states
from console.db import make_session_factory, session_scope
from console.lab import live_traffic, network
from console.lab import services as lab_services
from console.models.availability import AvailabilityCheckState
from console.models.base import utcnow
from console.models.notify import NotifyDelivery
from console.settings import load_settings

OPS = [sys.executable, "-m", "console.cli"]
REPO = Path(__file__).resolve().parents[3]
INTERVAL = timedelta(seconds=lab_services.CHECK_INTERVAL_SECONDS)
# ops.toml's demo-mailbox channel, which the lab-services notify rule names (the demo's ops.toml has it).
MAILBOX = """
[[notify.channels]]
name = "demo-mailbox"
kind = "email"
host = "127.0.0.1"
port = 2525
security = "none"
sender = "ops-console@localhost"
recipients = ["duty-officer@localhost"]
"""


def ops(config: Path, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([*OPS, "--config", str(config), *args], capture_output=True, text=True, cwd=REPO,
                          timeout=90)
    assert done.returncode == 0, done.stderr
    return done


def states(factory, settings, now) -> dict:
    with session_scope(factory) as session:
        return {name: state[:2] for name, state in shown_states(session, settings, now).items()}


def deliveries(factory) -> list[tuple[str, str, str]]:
    with session_scope(factory) as session:
        return [(row.kind, row.channel, row.body) for row in session.scalars(select(NotifyDelivery)
                                                                             .order_by(NotifyDelivery.id))]


@pytest.mark.sqlite_only  # the demo's console runs on SQLite; tests/console/availability runs the checks on both
def test_the_demo_services_are_up_a_certificate_near_expiry_warns_and_stopping_one_takes_it_down(
        make_lab, tmp_path, engine, db_url):
    lab = make_lab(1)
    base = tmp_path / "ops.toml"
    base.write_text(f'[console]\nsecret_key = "test-secret-key-not-for-production"\ndefault_locale = "en"\n'
                    f'[database]\nurl = "{db_url}"\n[paths]\nvar_dir = "{lab.var_dir}"\n'
                    f'[inventory]\npath = "{REPO / "inventory"}"\n' + MAILBOX)
    ops(base, "lab", "services", "up", "--name", lab.name, "--write-config", str(tmp_path / "ops-demo.toml"))
    # What the demo's console reads passes `ops config check` (its units and systems are the inventory's groups).
    ops(tmp_path / "ops-demo.toml", "config", "check")
    settings = load_settings(tmp_path / "ops-demo.toml")
    # Not the address the live IDS traffic is sent to (console/lab/live_traffic.py: no one may hold that one).
    assert lab_services.load(lab.var_dir, lab.name).address not in live_traffic.lab_addresses(lab.state)
    assert [service.name for service in settings.availability.services] == ["web", "dns", "motcua"]
    factory = make_session_factory(engine, settings)
    now = utcnow()

    assert runner.run_due(factory, settings, now) == 4
    assert states(factory, settings, now) == {"web": ("up", ""), "dns": ("up", ""), "motcua": ("degraded", "")}
    with session_scope(factory) as session:
        certificate = session.get(AvailabilityCheckState, ("motcua", "certificate"))
        assert certificate.last_outcome == "degraded"
        assert certificate.facts["certificate_days_left"] == 5
    sent = deliveries(factory)
    assert [(kind, channel) for kind, channel, _ in sent] == [("certificate.expiring", "demo-mailbox")]

    # The DNS server stops: dns is down after FAILURES_BEFORE_DOWN failed rounds, and motcua, whose page needs
    # its database's name from that server, is shown unreachable because of it; one message says both.
    assert "dns stopped" in ops(base, "lab", "services", "down", "--name", lab.name, "dns").stdout
    for round_ in range(1, lab_services.FAILURES_BEFORE_DOWN):
        now += INTERVAL
        runner.run_due(factory, settings, now)
        assert states(factory, settings, now)["dns"] == ("degraded", "")
    now += INTERVAL
    runner.run_due(factory, settings, now)
    assert states(factory, settings, now) == {"web": ("up", ""), "dns": ("down", ""),
                                              "motcua": ("unreachable", "service:dns")}
    down = [body for kind, _, body in deliveries(factory) if kind == "service.down"]
    assert len(down) == 1 and settings.availability.service("motcua").title in down[0]

    # Started again, dns answers at the next round and motcua is back to its certificate warning.
    ops(base, "lab", "services", "up", "--name", lab.name, "dns")
    now += INTERVAL
    runner.run_due(factory, settings, now)
    assert states(factory, settings, now) == {"web": ("up", ""), "dns": ("up", ""), "motcua": ("degraded", "")}

    # The README's way to make the web service fail.
    ops(base, "lab", "services", "down", "--name", lab.name, "web")
    for _ in range(lab_services.FAILURES_BEFORE_DOWN):
        now += INTERVAL
        runner.run_due(factory, settings, now)
    assert states(factory, settings, now)["web"] == ("down", "")

    # All down: no server is left running and the namespace is gone.
    running = lab_services.load(lab.var_dir, lab.name)
    namespace = running.namespace
    ops(base, "lab", "services", "down", "--name", lab.name)
    assert namespace not in network.namespaces(namespace)
    assert lab_services.load(lab.var_dir, lab.name) is None
    for pid in running.pids.values():
        assert not Path(f"/proc/{pid}").exists() or "State:\tZ" in Path(f"/proc/{pid}/status").read_text()


def test_the_services_need_a_lab_that_is_up(tmp_path):
    (tmp_path / "ops.toml").write_text(f'[paths]\nvar_dir = "{tmp_path / "var"}"\n')
    done = subprocess.run([*OPS, "--config", str(tmp_path / "ops.toml"), "lab", "services", "up", "--name", "nolab"],
                          capture_output=True, text=True, cwd=REPO, timeout=60,
                          env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(tmp_path)})
    assert done.returncode == 2
    assert "lab 'nolab' is not up" in done.stderr
