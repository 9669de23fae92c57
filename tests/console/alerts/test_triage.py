"""Triage: status moves, assignee, comments, bulk actions, audit; false positives to the rule manager."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from console.errors import PermissionDenied, ValidationFailed
from console.models import AlertGroup, AuditEvent
from console.alerts import triage as alerts_triage
from console.alerts.ingest import ingest_files


@pytest.fixture
def groups(factory, suricata_eve, session):
    ingest_files(factory, [suricata_eve], "sensor-a", 500, 65536)
    return {(g.sid, g.src_ip): g.id for g in session.scalars(select(AlertGroup))}


def _audit(session, action):
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_officer_acknowledges_escalates_and_closes_a_group_each_step_audited(session, groups, admin_actor):
    group_id = groups[(9905003, "198.18.200.11")]
    for status in ("acknowledged", "escalated", "closed"):
        alerts_triage.set_status(session, admin_actor, [group_id], status)
    session.commit()
    assert session.get(AlertGroup, group_id).status == "closed"
    assert [(e.detail["before"], e.detail["after"]) for e in _audit(session, "alerts.status")] == [
        ("new", "acknowledged"), ("acknowledged", "escalated"), ("escalated", "closed")]


def test_a_new_group_cannot_be_closed_without_review_and_nothing_changes(session, groups, admin_actor):
    ids = [groups[(9905001, "198.18.200.10")], groups[(9905003, "198.18.200.11")]]
    alerts_triage.set_status(session, admin_actor, ids[:1], "acknowledged")
    with pytest.raises(ValidationFailed, match=f"group {ids[1]} is new"):
        alerts_triage.set_status(session, admin_actor, ids, "closed")
    assert [session.get(AlertGroup, i).status for i in ids] == ["acknowledged", "new"]


def test_bulk_acknowledge_assign_and_comment(session, groups, admin_actor, make_user):
    make_user("linh", "security_officer")
    web = [gid for (sid, _src), gid in groups.items() if sid == 9905001]
    alerts_triage.set_status(session, admin_actor, web, "acknowledged")
    alerts_triage.assign(session, admin_actor, web, "linh")
    alerts_triage.add_comment(session, admin_actor, web[0], "scanner from the lab, known")
    session.commit()
    assert {(g.status, g.assignee) for g in session.scalars(select(AlertGroup).where(AlertGroup.id.in_(web)))} == {
        ("acknowledged", "linh")}
    assert len(_audit(session, "alerts.assign")) == 3 and len(_audit(session, "alerts.comment")) == 1
    with pytest.raises(ValidationFailed, match="no console user"):
        alerts_triage.assign(session, admin_actor, web, "nobody")


def test_an_auditor_may_not_triage(session, groups, auditor_actor):
    with pytest.raises(PermissionDenied):
        alerts_triage.set_status(session, auditor_actor, list(groups.values())[:1], "acknowledged")


def test_new_alerts_reopen_a_closed_group_but_not_a_false_positive(session, factory, groups, admin_actor,
                                                                    suricata_eve, tmp_path):
    from tests.console.alerts.conftest import renumbered

    web, dns = groups[(9905001, "198.18.200.10")], groups[(9905002, "198.18.200.10")]
    for status in ("acknowledged", "closed"):
        alerts_triage.set_status(session, admin_actor, [web, dns], status)
    alerts_triage.propose_false_positive(session, admin_actor, dns)
    session.commit()
    later = tmp_path / "later.json"
    later.write_bytes(b"\n".join(renumbered(suricata_eve.read_bytes().splitlines(), 5)) + b"\n")
    ingest_files(factory, [later], "sensor-a", 500, 65536)
    session.expire_all()
    assert (session.get(AlertGroup, web).status, session.get(AlertGroup, dns).status) == ("new", "closed")
    assert session.get(AlertGroup, web).count == 4


def test_false_positive_proposal_names_the_suppression_line(session, groups, admin_actor):
    group = alerts_triage.propose_false_positive(session, admin_actor, groups[(9905001, "198.18.200.12")])
    assert group.fp_proposal == "suppress gen_id 1, sig_id 9905001, track by_src, ip 198.18.200.12"
    assert group.false_positive and group.fp_status == "proposed"
    dst = alerts_triage.propose_false_positive(session, admin_actor, groups[(9905002, "198.18.200.12")], track="by_dst")
    assert dst.fp_proposal == "suppress gen_id 1, sig_id 9905002, track by_dst, ip 198.18.200.53"
    disable = alerts_triage.propose_false_positive(session, admin_actor, groups[(9905003, "198.18.200.11")], "disable")
    assert disable.fp_proposal == "disable sid 9905003"


@pytest.fixture
def rule_manager(session, rules_config, admin_actor):
    """The real rule manager on temp folders, with version 1 built from the department's rules."""
    from console.ruleset import service as rules_service
    from console.settings import Settings

    session.info["ops_settings"] = Settings().model_copy(update={"rules": rules_config})
    first = rules_service.build_version(session, admin_actor, config=rules_config, reason="first")
    session.commit()
    assert first.ok, first.messages
    return rules_config


def test_confirmed_false_positive_becomes_a_new_ruleset_version(session, groups, admin_actor, rule_manager):
    from console.ruleset import service as rules_service

    group_id = groups[(9905001, "198.18.200.11")]
    alerts_triage.propose_false_positive(session, admin_actor, group_id)
    group = alerts_triage.confirm_false_positive(session, admin_actor, group_id, reason="lab scanner")
    session.commit()
    assert (group.fp_status, group.fp_version, group.status) == ("applied", 2, "closed"), group.fp_message
    assert rules_service.active_version(session).number == 2
    carried = (rule_manager.var_dir / "versions" / "2" / "threshold.config").read_text()
    assert "suppress gen_id 1, sig_id 9905001, track by_src, ip 198.18.200.11" in carried
    assert "lab scanner" in rule_manager.threshold_file.read_text()
    assert _audit(session, "rules.suppress")[0].detail["version"] == 2


def test_a_suppression_suricata_refuses_stays_failed_and_the_active_version_stays(session, groups, admin_actor,
                                                                                  rule_manager):
    from console.ruleset import service as rules_service

    broken = rule_manager.local_dir / "zz-broken.rules"
    broken.write_text('alert tcp any any -> any any (msg:"broken"; content:"x"; nosuchkeyword; sid:9999001; rev:1;)\n')
    group_id = groups[(9905001, "198.18.200.10")]
    alerts_triage.propose_false_positive(session, admin_actor, group_id)
    group = alerts_triage.confirm_false_positive(session, admin_actor, group_id)
    session.commit()
    assert (group.fp_status, group.fp_version, group.status) == ("failed", None, "new")
    assert "9999001" in group.fp_message
    assert rules_service.active_version(session).number == 1
    assert "198.18.200.10" not in rule_manager.threshold_file.read_text()  # the refused line was taken back out
