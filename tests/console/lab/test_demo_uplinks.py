"""`ops lab uplinks` and `ops lab uplink down 1`: the demo's router (a namespace with two uplinks to two ISP
namespaces, Debian's snmpd reporting their IF-MIB counters, a ping taking uplink 1) and its server room (the
PyPI snmpsim serving an APC probe), read by the console's device service from the configuration the command
writes, as `make demo` does. Cutting uplink 1's line is seen as uplink.down and uplink.failover, on the
Overview's uplink lines and in the mailbox channel's outbox; `ops lab room temperature 31` heats the room."""

from __future__ import annotations

import subprocess
import time
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from console.cli import main
from console.db import make_session_factory, session_scope
from console.devices import service as devices
from console.lab import uplinks as lab_uplinks
from console.models.notify import NotifyDelivery
from console.settings import load_settings
from tests.fixtures.snmpd import free_udp_port

# The demo's router and uplinks are network namespaces, its room an snmpsim: the full suite's tier.
pytestmark = pytest.mark.external

REPO = Path(__file__).resolve().parents[3]
IF_HC_IN = "1.3.6.1.2.1.31.1.1.1.6"
IF_OPER = "1.3.6.1.2.1.2.2.1.8"
MAILBOX = """
[[notify.channels]]
name = "demo-mailbox"
kind = "email"
host = "127.0.0.1"
port = 2525
security = "none"
sender = "ops-console@localhost"
recipients = ["duty-officer@localhost"]

[[notify.rules]]
name = "duty-officer"
events = ["uplink.down", "uplink.up", "uplink.failover", "room.temperature_out_of_range", "room.in_range"]
min_severity = "info"
channels = ["demo-mailbox"]
"""


def ops(config: Path, *args: str):
    """The `ops` command in this process (a new interpreter per command costs seconds on a loaded machine)."""
    done = CliRunner().invoke(main, ["--config", str(config), *args])
    assert done.exit_code == 0, (done.output, done.exception)
    return done


def told(factory) -> list[tuple[str, str]]:
    with session_scope(factory) as session:
        return [(row.kind, row.channel) for row in session.scalars(select(NotifyDelivery).order_by(NotifyDelivery.id))]


def poll(factory, settings) -> dict:
    with session_scope(factory) as session:
        assert [result.status for result in devices.poll_all(session, settings)] == ["ok", "ok", "ok"]
        return {line["name"]: line for lines in devices.overview(session, settings.devices).values()
                for line in lines}


def index_of(router, name: str) -> int:
    import json

    shown = subprocess.run(["ip", "-n", router.router, "-j", "link", "show", name], capture_output=True, text=True,
                           check=True)
    return json.loads(shown.stdout)[0]["ifindex"]


@pytest.mark.sqlite_only  # the demo's console runs on SQLite; the devices tests run on both databases
def test_the_demo_uplinks_fail_over_when_uplink_1_is_cut_and_the_room_heats_up(tmp_path, engine, db_url):
    name = f"t{uuid.uuid4().hex[:8]}"
    var_dir = tmp_path / "var"
    base = tmp_path / "ops.toml"
    base.write_text(f'[console]\nsecret_key = "test-secret-key-not-for-production"\ndefault_locale = "en"\n'
                    f'[database]\nurl = "{db_url}"\n[paths]\nvar_dir = "{var_dir}"\n'
                    f'[inventory]\npath = "{REPO / "inventory"}"\n' + MAILBOX)
    demo = tmp_path / "ops-demo.toml"
    try:
        ops(base, "lab", "uplinks", "up", "--name", name, "--room-port", str(free_udp_port()),
            "--write-config", str(demo))
        ops(demo, "config", "check")
        settings = load_settings(demo)
        assert [(d.name, d.kind) for d in settings.devices] == [
            ("uplink-isp1", "uplink"), ("uplink-isp2", "uplink"), ("room-main", "room")]
        assert "line up" in ops(demo, "lab", "uplinks", "status", "--name", name).output
        router = lab_uplinks.load(var_dir, name).router
        factory = make_session_factory(engine, settings)

        first = poll(factory, settings)
        assert (first["uplink-isp1"]["state"], first["uplink-isp2"]["state"]) == ("up", "up")
        assert first["room-main"]["temperature_c"] == 22.0
        # The router's ping takes uplink 1: its counter grows (snmpd refreshes it every few seconds).
        wan1 = index_of(router, "wan1")
        before = int(router.snmpget(f"{IF_HC_IN}.{wan1}"))
        router.wait_for(f"{IF_HC_IN}.{wan1}", lambda value: int(value) > before + 10000)
        second = poll(factory, settings)
        assert (second["uplink-isp1"]["carrying"], second["uplink-isp2"]["carrying"]) == (True, False)
        assert told(factory) == []

        ops(demo, "lab", "uplink", "down", "1", "--name", name)
        router.wait_for(f"{IF_OPER}.{wan1}", lambda value: value not in ("1", "up"))
        third = poll(factory, settings)
        assert third["uplink-isp1"]["state"] in ("down", "lowerLayerDown")
        assert (third["uplink-isp1"]["carrying"], third["uplink-isp2"]["carrying"]) == (False, True)
        assert told(factory) == [("uplink.down", "demo-mailbox"), ("uplink.failover", "demo-mailbox")]

        ops(demo, "lab", "room", "temperature", "31", "--name", name)
        deadline = time.monotonic() + 20  # snmpsim re-reads the file at its next request
        while lab_uplinks.room_reading(lab_uplinks.load(var_dir, name)) != "31" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert poll(factory, settings)["room-main"]["temperature_c"] == 31.0
        assert told(factory)[-1] == ("room.temperature_out_of_range", "demo-mailbox")
    finally:
        CliRunner().invoke(main, ["--config", str(base), "lab", "uplinks", "down", "--name", name])
    assert lab_uplinks.load(var_dir, name) is None
    assert router.router not in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
