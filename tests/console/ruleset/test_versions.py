"""Validated builds become numbered versions; a broken rule is refused while the active one stays."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from console.errors import NotFound
from console.models import AuditEvent
from console.ruleset import service
from console.access.permissions import Denied
from rules import sources, versions
from rules.errors import RulesetError
from rules.sources import Source
from tests.rules.conftest import make_tarball


def build(session, actor, config, **kwargs):
    outcome = service.build_version(session, actor, config=config, **kwargs)
    session.commit()
    return outcome


def test_tarball_build_becomes_version_one_and_active(session, admin_actor, rules_config, vendor_tarball):
    sources.add_source(rules_config.sources_file, Source("vendor", "file", str(vendor_tarball)))
    outcome = build(session, admin_actor, rules_config)
    assert outcome.ok and outcome.version_number == 1
    row = service.active_version(session)
    assert (row.number, row.rules_total, row.rules_added, row.rules_removed) == (1, 10, 10, 0)
    assert row.rules_enabled == 8  # 2000002 commented in its source, 9100003 disabled by policy
    assert (versions.active_folder(rules_config.var_dir) / "ops.rules").exists()
    status = service.ruleset_status(session, config=rules_config)
    assert status["active_version"] == 1 and status["rules_enabled"] == 8 and status["sensors"] == []


def test_broken_rule_is_refused_and_previous_version_stays_active(session, admin_actor, rules_config):
    assert build(session, admin_actor, rules_config).version_number == 1
    (rules_config.local_dir / "new.rules").write_text(
        'alert tcp any any -> any 80 (msg:"fine new rule"; content:"abc"; sid:9100201; rev:1;)\n'
        'alert tcp any any -> any 80 (msg:"typo in keyword"; content:"abc"; nocasee; sid:9100202; rev:1;)\n')
    outcome = build(session, admin_actor, rules_config)
    assert not outcome.ok and outcome.version_number is None
    assert "error: local/new.rules:2: sid 9100202: Suricata: detect-parse: unknown rule keyword 'nocasee'." \
        in outcome.messages
    assert service.active_version(session).number == 1
    assert len(service.list_versions(session)) == 1
    assert "9100201" not in (versions.active_folder(rules_config.var_dir) / "ops.rules").read_text()
    failure = session.scalars(select(AuditEvent).where(AuditEvent.action == "rules.build")
                              .order_by(AuditEvent.id.desc())).first()
    assert failure.outcome == "failure" and failure.detail["failed_sids"] == [9100202]


def test_second_version_counts_and_per_sid_diff(session, admin_actor, rules_config, vendor_tarball, tmp_path):
    sources.add_source(rules_config.sources_file, Source("vendor", "file", str(vendor_tarball)))
    build(session, admin_actor, rules_config)
    changed = make_tarball(tmp_path / "vendor2.tar.gz", {"rules/vendor-web.rules": (
        'alert http $EXTERNAL_NET any -> $HOME_NET any (msg:"VENDOR WEB admin login probe"; flow:established,'
        'to_server; http.uri; content:"/wp-login.php"; nocase; classtype:web-application-attack; sid:2000001; rev:3;)\n'
        'alert http $EXTERNAL_NET any -> $HOME_NET any (msg:"VENDOR WEB new probe"; flow:established,to_server; '
        'http.uri; content:"/xmlrpc.php"; classtype:web-application-attack; sid:2000005; rev:1;)\n')})
    sources.remove_source(rules_config.sources_file, "vendor")
    sources.add_source(rules_config.sources_file, Source("vendor", "file", str(changed)))
    (rules_config.policy_dir / "disable.conf").write_text("9100004\n")
    outcome = build(session, admin_actor, rules_config)
    row = service.get_version(session, outcome.version_number)
    assert (row.rules_added, row.rules_removed, row.rules_modified) == (1, 5, 1)
    kinds = {(c.sid, c.kind) for c in service.changes_of(session, 2)}
    assert {(2000005, "added"), (2000102, "removed"), (2000001, "modified"), (9100004, "disabled"),
            (9100003, "enabled")} <= kinds
    backwards = {(c.sid, c.kind) for c in service.diff(session, 2, 1, config=rules_config)}
    assert (2000005, "removed") in backwards and (2000102, "added") in backwards


def test_rollback_makes_an_older_version_active(session, admin_actor, rules_config):
    build(session, admin_actor, rules_config)
    (rules_config.policy_dir / "disable.conf").write_text("9100001\n")
    assert build(session, admin_actor, rules_config).version_number == 2
    service.rollback(session, admin_actor, 1, config=rules_config)
    session.commit()
    assert service.active_version(session).number == 1
    assert versions.active_folder(rules_config.var_dir).name == "1"
    assert not service.get_version(session, 2).is_active
    with pytest.raises(NotFound):
        service.rollback(session, admin_actor, 9, config=rules_config)


def test_suppress_appends_to_threshold_config_and_builds(session, admin_actor, rules_config):
    build(session, admin_actor, rules_config)
    outcome = service.suppress(session, admin_actor, sid=9100001, track="by_src", ip="198.18.10.200",
                               reason="vulnerability scanner of the IT centre", config=rules_config)
    session.commit()
    assert outcome.ok and outcome.version_number == 2
    text = rules_config.threshold_file.read_text()
    assert "suppress gen_id 1, sig_id 9100001, track by_src, ip 198.18.10.200\n" in text
    assert "# vulnerability scanner of the IT centre (by alice," in text
    stored = versions.folder(rules_config.var_dir, 2) / "threshold.config"
    assert "sig_id 9100001, track by_src, ip 198.18.10.200" in stored.read_text()


@pytest.mark.parametrize("kwargs, message", [
    ({"sid": 0, "track": "by_src", "ip": "198.18.10.1"}, "sid must be a whole number"),
    ({"sid": 9100001, "track": "by_either", "ip": "198.18.10.1"}, "track must be by_src or by_dst"),
    ({"sid": 9100001, "track": "by_dst", "ip": "198.18.10.1; rm -rf"}, "ip must be an IPv4/IPv6"),
])
def test_suppress_rejects_bad_sid_track_ip(session, admin_actor, rules_config, kwargs, message):
    before = rules_config.threshold_file.read_text()
    with pytest.raises(RulesetError, match=message):
        service.suppress(session, admin_actor, reason="x", config=rules_config, **kwargs)
    assert rules_config.threshold_file.read_text() == before


def test_disable_adds_sid_with_reason_and_builds(session, admin_actor, rules_config):
    build(session, admin_actor, rules_config)
    outcome = service.disable(session, admin_actor, sid=9100004, reason="SNMP monitoring\nfrom outside is allowed",
                              config=rules_config)
    session.commit()
    assert outcome.ok and outcome.version_number == 2
    assert "9100004 # SNMP monitoring from outside is allowed (by alice" in \
        (rules_config.policy_dir / "disable.conf").read_text()
    assert {(c.sid, c.kind) for c in service.changes_of(session, 2)} == {(9100004, "disabled")}
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "rules.disable")).one()
    assert event.detail["version"] == 2 and event.outcome == "success"


def test_disable_whose_build_is_refused_is_taken_back(session, admin_actor, rules_config):
    build(session, admin_actor, rules_config)
    (rules_config.local_dir / "bad.rules").write_text('alert tcp any any -> any 1 (msg:"x"; foo; sid:9100301;)\n')
    before = (rules_config.policy_dir / "disable.conf").read_text()
    outcome = service.disable(session, admin_actor, sid=9100001, reason="noise", config=rules_config)
    assert not outcome.ok and outcome.version_number is None
    assert (rules_config.policy_dir / "disable.conf").read_text() == before
    assert service.active_version(session).number == 1


def test_auditor_may_not_build_suppress_or_roll_back(session, auditor_actor, rules_config):
    with pytest.raises(Denied):
        service.build_version(session, auditor_actor, config=rules_config)
    with pytest.raises(Denied):
        service.suppress(session, auditor_actor, sid=1, track="by_src", ip="198.18.10.1", reason="x",
                         config=rules_config)
    with pytest.raises(Denied):
        service.rollback(session, auditor_actor, 1, config=rules_config)
    assert not (rules_config.var_dir / "candidate").exists()
