"""Run under an EARLIER release's code (PYTHONPATH=<its tree>): fill a console with data in every area.

    python old_release_data.py OPS_TOML EVE_FILE AGENT_STATE_DIR

Uses only what that release already had: the inventory sync, users and
tokens, an agent enrolled over HTTP that reports and ships EVE, and (run by
the test with the release's own `ops`) a compliance run with its reports.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from werkzeug.serving import make_server

from console import create_app, migrate
from console.access import tokens, users
from console.access.actor import Actor
from console.agents import enrolment
from console.db import make_engine, make_session_factory, session_scope
from console.inventory.sync import sync_inventory
from console.models import Role
from console.settings import load_settings
from probes.agent import Agent, enroll
from probes.collectors.health import HealthCollector
from probes.config import AgentSettings

HOST = "dtnmt-web-01"


class Quick:
    name = "health"

    def collect(self):
        return HealthCollector(cpu_interval=0).collect()


def main(config: str, eve: str, state_dir: str) -> None:
    settings = load_settings(config)
    engine = make_engine(settings.database_url)
    migrate.upgrade(engine)
    factory = make_session_factory(engine, settings)
    with session_scope(factory) as db:
        sync_inventory(db, Actor.cli(), settings.inventory)
        users.create_user(db, Actor.cli(), settings.security, "alice", Role.admin,
                          password="correct horse battery staple")
        tokens.create_token(db, Actor.cli(), "made-by-the-old-release", Role.auditor, 30, owner="alice")
        _row, token = enrolment.create_enrollment_token(db, Actor.cli(), HOST, hours=1)
    app = create_app(settings)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        agent_settings = AgentSettings(state_dir=Path(state_dir), host_name=HOST, suricata_eve=Path(eve),
                                       ship_eve=True)
        enroll(agent_settings, f"http://127.0.0.1:{server.server_port}", token)
        agent = Agent(agent_settings, [Quick()])
        assert agent.run_once().sent == 1
        agent.eve.collect()
        assert agent.ship_eve().waiting == 0
    finally:
        server.shutdown()
        app.extensions["ops"].engine.dispose()
        engine.dispose()


if __name__ == "__main__":
    main(*sys.argv[1:4])
