"""The scheduler polls KSC like the device connectors, and `ops lab ksc` serves the demo's estate."""

from __future__ import annotations

import os
import signal
import subprocess

from sqlalchemy import func, select

from console.models import Endpoint, EndpointSync
from console.endpoints.schedule import sync_endpoints
from console.scheduler import build_scheduler
from tests.console.cli.test_cli import OPS, REPO, ops
from tests.fixtures.nut import free_port


def test_the_scheduler_syncs_when_ksc_is_configured_and_not_otherwise(settings, ksc_settings, session_factory,
                                                                    synced):
    assert build_scheduler(settings).get_job("endpoints-sync") is None
    assert build_scheduler(ksc_settings).get_job("endpoints-sync") is not None
    sync_endpoints(ksc_settings, session_factory)
    sync_endpoints(ksc_settings, session_factory)  # within interval_seconds: no second sync
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(EndpointSync)) == 1
        assert session.scalar(select(func.count()).select_from(Endpoint)) == 15


def test_ops_lab_ksc_serves_the_inventory_and_300_workstations_to_ops_endpoints_sync(config_file, synced, tmp_path):
    port = free_port()
    config_file.write_text(config_file.read_text() + f"""
[endpoints]
address = "127.0.0.1"
port = {port}
username = "ops-reader"
password = "env:TEST_LAB_KSC_PASSWORD"
ca_file = "{tmp_path / 'var' / 'demo-ksc' / 'ksc.crt'}"
groups = {{"IT Centre" = "unit_it_centre"}}
""")
    env = {**os.environ, "TEST_LAB_KSC_PASSWORD": "lab-pass-1234"}
    env.pop("OPS_CONFIG", None)
    server = subprocess.Popen([*OPS, "--config", str(config_file), "lab", "ksc", "--port", str(port), "--hosts", "300"],
                              cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first = server.stdout.readline()
        assert f"demo KSC on https://127.0.0.1:{port}: 324 hosts in 6 groups" in first, first
        server.stdout.readline()  # its socket listens before it prints: no wait needed
        result = ops("endpoints", "sync", config=config_file, env={"TEST_LAB_KSC_PASSWORD": "lab-pass-1234"})
        assert result.returncode == 0, result.stdout + result.stderr
        assert "324 endpoints: 324 new" in result.stdout and "3 inventory servers not in KSC" in result.stdout
        listed = ops("endpoints", "list", "--unit", "unit_it_centre", "--limit", "500", config=config_file)
        assert "dtnmt-web-01" in listed.stdout and "dtnmt-bak-01" not in listed.stdout
    finally:
        server.send_signal(signal.SIGINT)
        try:
            output, _ = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            output = "still running 30 s after Ctrl-C; it printed: " + server.communicate()[0]
    assert "demo KSC stopped" in output, output
