"""PostgreSQL restarted while an agent reports and ships EVE and the follower tails a sensor's EVE log.

The test runs its OWN throwaway cluster (the session's cluster serves other
tests). While the server is down the console answers 503 and the agent keeps
its reports and EVE batches in its spool; the follower exits 2 with its
checkpoint where the last committed batch left it. Once the server is back,
the same console (no restart: pool_pre_ping replaces dead connections) takes
everything: every report and every alert exactly once.
"""

from __future__ import annotations


import pytest
from sqlalchemy import func, select

from console import create_app
from console.models import Alert, HostReport
from probes.agent import Agent, enroll
from probes.config import AgentSettings
from tests.conftest import LiveServer
from tests.console.alerts.conftest import alert_lines, renumbered
from tests.console.backup.conftest import HOST, Quick, console_config, ops, prepared_console
from tests.fixtures.postgres import PostgresCluster



@pytest.fixture
def own_cluster():
    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()


def count(factory, column) -> int:
    with factory() as db:
        return db.scalar(select(func.count(column)))


@pytest.mark.postgres
def test_postgres_restart_loses_no_report_and_no_alert_and_the_console_recovers(own_cluster, tmp_path, suricata_eve):
    lines = suricata_eve.read_bytes().splitlines()
    shipped, followed = tmp_path / "shipped-eve.json", tmp_path / "followed-eve.json"
    other = renumbered(lines, 1)  # the followed sensor's own events
    half = len(lines) // 2
    shipped.write_bytes(b"\n".join(lines[:half]) + b"\n")
    followed.write_bytes(b"\n".join(other[:half]) + b"\n")
    config = console_config(tmp_path / "ops.toml", own_cluster.new_database(), tmp_path / "var",
                            f'[alerts]\neve_files = ["{followed}"]\nsensor_name = "ids-followed"\n'
                            f'poll_interval_seconds = 0.05\n')
    settings, engine, factory, token = prepared_console(config)
    app = create_app(settings)
    server = LiveServer(app).start()
    client = app.test_client()
    try:
        agent_conf = AgentSettings(state_dir=tmp_path / "agent", host_name=HOST, suricata_eve=shipped, ship_eve=True)
        enroll(agent_conf, server.url, token)
        agent = Agent(agent_conf, [Quick()])
        assert agent.run_once().sent >= 1
        assert ops(config, "alerts", "follow", "--exit-when-idle").exit_code == 0

        own_cluster.stop_server()
        with open(shipped, "ab") as handle:
            handle.write(b"\n".join(lines[half:]) + b"\n")
        with open(followed, "ab") as handle:
            handle.write(b"\n".join(other[half:]) + b"\n")
        refused = agent.run_once()
        assert refused.sent == 0 and "503" in refused.stopped_by
        assert client.get("/healthz").status_code == 503
        down = ops(config, "alerts", "follow", "--exit-when-idle")
        assert down.exit_code == 2 and "the database refused the work" in down.output, down.output

        own_cluster.start_server()  # the console is not restarted
        assert client.get("/healthz").status_code == 200
        result = agent.run_once()
        assert result.waiting == 0 and not result.stopped_by
        assert ops(config, "alerts", "follow", "--exit-when-idle").exit_code == 0
        assert count(factory, HostReport.id) == 3
        expected = len(alert_lines(suricata_eve))
        with factory() as db:
            by_sensor = dict(db.execute(select(Alert.sensor, func.count(Alert.id)).group_by(Alert.sensor)).all())
        assert by_sensor == {HOST: expected, "ids-followed": expected}
    finally:
        server.stop()
        app.extensions["ops"].engine.dispose()
        engine.dispose()
