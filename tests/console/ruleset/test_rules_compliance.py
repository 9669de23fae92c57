"""The compliance run reads the rule manager as the `ops` command does: with the session's settings."""

from __future__ import annotations

from console.compliance.catalog import load_catalog
from console.db import make_session_factory, session_scope
from console.compliance import runs as compliance_runs
from console.ruleset import service
from console.access.actor import Actor
from tests.console.compliance.helpers import results_of

SENSOR = "dtnmt-ids-01"  # an inventory host in role_ids_sensor


def test_a_run_judges_the_active_ruleset_and_stores_its_times(engine, settings, rules_config, admin_actor, synced):
    factory = make_session_factory(engine, settings)  # as the CLI and the console make their sessions
    before = compliance_runs.execute(factory, Actor.cli(), load_catalog())
    assert results_of(factory, before.run_id)[("IDS-03", SENSOR)] in ("fail", "unknown")  # no version yet
    with session_scope(factory) as session:
        assert service.build_version(session, admin_actor, config=rules_config).ok
    after = compliance_runs.execute(factory, Actor.cli(), load_catalog())
    assert results_of(factory, after.run_id)[("IDS-03", SENSOR)] == "pass"  # built within 7 days
