"""A group an inline sensor blocked, of a rule changed in the last [rules] young_rule_days, is told once, so someone
checks it is no false block; an allowed group of the same rule, or a blocked one of an old rule, is not.

The rule's age comes from the rule manager's versions: a version is built for real with drop.conf turning
sid 9100001 into a drop rule; the alerts go through the real ingest (as an inline Suricata writes them).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from console.alerts.ingest import ingest_files
from console.models import RulesetVersion
from console.ruleset import service
from tests.console.notify.test_events import EVERYTHING, messages

pytestmark = pytest.mark.sqlite_only  # one upsert and one join; the alerts' own tests run both databases


@pytest.fixture
def config_file(config_file):
    config_file.write_text(config_file.read_text() + EVERYTHING)
    return config_file


@pytest.fixture
def settings(config_file, rules_config):
    from console.settings import load_settings

    return load_settings(config_file).model_copy(update={"rules": rules_config})


def eve(src: str, action: str) -> str:
    at = datetime.now(timezone.utc).isoformat()
    return json.dumps({"timestamp": at, "event_type": "alert", "src_ip": src, "src_port": 40000,
                       "dest_ip": "198.18.10.11", "dest_port": 80, "proto": "TCP",
                       "alert": {"action": action, "gid": 1, "signature_id": 9100001, "rev": 1,
                                 "signature": "OPS land database admin", "severity": 3}})


def ingest(factory, tmp_path, *lines: str) -> None:
    path = tmp_path / f"eve-{len(list(tmp_path.glob('eve-*')))}.json"
    path.write_text("\n".join(lines) + "\n")
    ingest_files(factory, [path], "edge-ips", 500, 65536)


def test_a_new_drop_rules_blocked_group_is_told_once(session_factory, session, admin_actor, rules_config, tmp_path):
    (rules_config.policy_dir / "drop.conf").write_text("9100001\n")
    assert service.build_version(session, admin_actor).ok
    session.commit()

    ingest(session_factory, tmp_path, eve("198.18.200.7", "blocked"), eve("198.18.200.8", "allowed"))
    ingest(session_factory, tmp_path, eve("198.18.200.7", "blocked"))  # the same group again

    [told] = messages(session_factory, "ids.blocked_young_rule")
    assert told.severity == "high" and "198.18.200.7" in told.body and "sid 9100001" in told.body
    assert "allow it from the group's page" in told.body


def test_a_blocked_group_of_an_old_rule_is_not_told(session_factory, session, admin_actor, rules_config, tmp_path):
    (rules_config.policy_dir / "drop.conf").write_text("9100001\n")
    assert service.build_version(session, admin_actor).ok
    session.execute(update(RulesetVersion).values(built_at=datetime.now(timezone.utc) - timedelta(days=8)))
    session.commit()

    ingest(session_factory, tmp_path, eve("198.18.200.7", "blocked"))

    assert messages(session_factory, "ids.blocked_young_rule") == []
