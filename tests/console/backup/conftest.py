"""A console with data in every area, and what tells two consoles apart: rows per table and file checksums."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select
from click.testing import CliRunner

from console.backup.database import table_counts
from console.backup.filesets import file_sets
from console.cli import main
from console import migrate
from console.db import make_engine, make_session_factory, session_scope
from console.inventory.sync import sync_inventory
from console.settings import load_settings
from console.access import tokens
from console.access.actor import Actor
from console.agents import enrolment as agent_service
from console.incidents import service as incidents
from console.models import Alert, Role
from probes.agent import Agent, enroll
from probes.collectors.health import HealthCollector
from probes.config import AgentSettings
from tests.console.alerts.conftest import suricata_eve  # noqa: F401  (the session's Suricata EVE)

REPO = Path(__file__).resolve().parents[3]
HOST = "dtnmt-ids-01"  # a sensor (role_ids_sensor): only sensors may ship EVE


class Quick:
    name = "health"

    def collect(self):
        return HealthCollector(cpu_interval=0).collect()


def console_config(path: Path, database_url: str, var_dir: Path, extra: str = "") -> Path:
    """A console's ops.toml at `path`: the shipped inventory, the database and var/ given; `extra` appended."""
    path.write_text(f'[console]\nsecret_key = "test-secret-key-not-for-production"\ndefault_locale = "en"\n'
                    f'[database]\nurl = "{database_url}"\n[paths]\nvar_dir = "{var_dir}"\n'
                    f'[inventory]\npath = "{REPO / "inventory"}"\n' + extra)
    return path


def prepared_console(config: Path):
    """The console of `config` migrated and its inventory synced: (settings, engine, session factory, an
    enrolment token for HOST)."""
    settings = load_settings(config)
    engine = make_engine(settings.database_url)
    migrate.upgrade(engine)
    factory = make_session_factory(engine, settings)
    with session_scope(factory) as db:
        sync_inventory(db, Actor.cli(), settings.inventory)
        _row, token = agent_service.create_enrollment_token(db, Actor.cli(), HOST, hours=1)
    return settings, engine, factory, token


def ops(config_file: Path, *args: str):
    """`ops -c CONFIG ARGS...` in-process; the result has exit_code and output."""
    return CliRunner().invoke(main, ["-c", str(config_file), *args], catch_exceptions=False)


@pytest.fixture
def filled(live_server, session_factory, settings, config_file, make_user, suricata_eve, tmp_path):  # noqa: F811
    """Users, tokens, audit, the synced inventory and information systems, an agent's reports and shipped EVE
    alerts, a compliance run with its reports, incidents (one escalated from an alert), ruleset version files,
    an evidence document and the generated secret key."""
    make_user("alice", Role.admin)
    make_user("audrey", Role.auditor)
    with session_scope(session_factory) as db:
        tokens.create_token(db, Actor.cli(), "backup-test", Role.auditor, 30, owner="alice")
        _row, token = agent_service.create_enrollment_token(db, Actor.cli(), HOST, hours=1)
    eve = tmp_path / "eve.json"
    eve.write_bytes(suricata_eve.read_bytes())
    agent_conf = AgentSettings(state_dir=tmp_path / "agent", host_name=HOST, suricata_eve=eve, ship_eve=True)
    enroll(agent_conf, live_server.url, token)
    agent = Agent(agent_conf, [Quick()])
    assert agent.run_once().sent >= 1
    agent.eve.collect()
    assert agent.ship_eve().waiting == 0
    assert ops(config_file, "compliance", "run", "--format", "json,csv").exit_code in (0, 1)
    with session_scope(session_factory) as db:
        alert_id = db.scalar(select(func.min(Alert.id)))
        incidents.escalate_alert(db, Actor.cli(), alert_id)
        incidents.open_incident(db, Actor.cli(), "Backup test incident", datetime.now(timezone.utc), serious=False)
    var = settings.paths.var_dir
    (var / "secret_key").write_text("generated-secret-key-of-this-console")
    (var / "evidence").mkdir(parents=True, exist_ok=True)
    (var / "evidence" / "3f2a.pdf").write_bytes(b"%PDF-1.4 evidence document\n")
    rules = settings.rules.var_dir
    for number in (1, 2):
        (rules / "versions" / str(number)).mkdir(parents=True)
        (rules / "versions" / str(number) / "suricata.rules").write_text(f"# version {number}\n")
    (rules / "active").symlink_to("versions/2")
    (rules / "downloads").mkdir()
    (rules / "downloads" / "et.download").write_text("a cache, left out")
    return live_server


def files_of(settings) -> dict[str, str]:
    """Every file of the backed-up sets: its sha256, or the target of a symlink."""
    found = {}
    for file_set in file_sets(settings):
        root = file_set.path
        paths = [root] if root.is_file() or root.is_symlink() else sorted(root.rglob("*")) if root.exists() else []
        for path in paths:
            name = f"{file_set.name}/{path.relative_to(root) if path != root else ''}"
            if path.is_symlink():
                found[name] = "-> " + str(path.readlink())
            elif path.is_file() and "downloads" not in path.parts:
                found[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def snapshot(engine, settings) -> tuple[dict[str, int], dict[str, str]]:
    return table_counts(engine), files_of(settings)
