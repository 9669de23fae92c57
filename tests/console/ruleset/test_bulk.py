"""Bulk actions from the rule search: many sids in one policy edit and one build, with a reason, bounded."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from console.access.permissions import Denied
from console.db import session_scope
from console.errors import Conflict, NotFound, ValidationFailed
from console.models import AuditEvent
from console.ruleset import bulk, service
from tests.console.ruleset.test_console import post_form
from tests.console.tasks.fixtures import task_id_of, task_worker, wait_task  # noqa: F401  (task_worker: fixture)

EXTRA = "".join(
    f'alert tcp $EXTERNAL_NET any -> $HOME_NET {port} (msg:"OPS BULK probe of port {port}"; flow:to_server; '
    f'flags:S,12; classtype:attempted-recon; sid:{sid}; rev:1;)\n'
    for sid, port in ((9100101, 8081), (9100102, 8082), (9100103, 8083)))


@pytest.fixture
def active(session, admin_actor, rules_config):
    """Version 1 of the department's four rules and three more (msg "OPS BULK ...")."""
    (rules_config.local_dir / "bulk.rules").write_text(EXTRA)
    outcome = service.build_version(session, admin_actor, config=rules_config, reason="first")
    session.commit()
    assert outcome.ok, outcome.messages
    return rules_config


def _events(session, action):
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _changes(session, number):
    return {(c.sid, c.kind) for c in service.changes_of(session, number)}


def test_two_sids_disabled_in_one_edit_and_one_version(session, admin_actor, active):
    outcome = bulk.bulk_change(session, admin_actor, action="disable", reason="noisy on the\nguest VLAN",
                               sids=[9100102, 9100101, 9100101], config=active)
    session.commit()
    assert outcome.ok and (outcome.changed, outcome.skipped, outcome.version_number) == (2, 0, 2), outcome.messages
    assert _changes(session, 2) == {(9100101, "disabled"), (9100102, "disabled")}
    text = (active.policy_dir / "disable.conf").read_text()
    assert "# bulk disable of 2 rules: noisy on the guest VLAN (by alice, " in text
    assert text.endswith("\n9100101\n9100102\n")
    [event] = _events(session, "rules.bulk")
    assert event.detail["change"] == "disable" and event.detail["count"] == 2
    assert event.detail["reason"] == "noisy on the guest VLAN" and event.detail["version"] == 2
    assert len(_events(session, "rules.build")) == 2  # the first build and ONE for the bulk change


def test_all_rules_matching_a_filter_enabled_skipping_those_already_enabled(session, admin_actor, active):
    (active.policy_dir / "disable.conf").write_text("9100101\n9100103\n")
    assert service.build_version(session, admin_actor, config=active).version_number == 2
    outcome = bulk.bulk_change(session, admin_actor, action="enable", reason="watch the probes",
                               rule_filter=bulk.RuleFilter(text="bulk probe"), expected=3, config=active)
    session.commit()
    assert outcome.ok and (outcome.changed, outcome.skipped) == (2, 1), outcome.messages
    assert _changes(session, 3) == {(9100101, "enabled"), (9100103, "enabled")}
    assert "info: 1 of the chosen rules were already enabled and left as they were" in outcome.messages
    assert _events(session, "rules.bulk")[0].detail["filter"] == {"q": "bulk probe"}


def test_disable_takes_out_an_enable_line_that_would_win(session, admin_actor, active):
    (active.policy_dir / "enable.conf").write_text("9100101 # watched\nmsg:OPS BULK probe of port 8083\n")
    assert service.build_version(session, admin_actor, config=active).ok
    outcome = bulk.bulk_change(session, admin_actor, action="disable", reason="retire",
                               sids=[9100101, 9100103], config=active)
    assert outcome.ok, outcome.messages
    assert _changes(session, 3) == {(9100101, "disabled")}
    assert (active.policy_dir / "enable.conf").read_text().startswith("# 9100101 # watched  # taken out by bulk")
    assert any(m.startswith("warning: 1 of the chosen rules are still not disabled") and "9100103" in m
               for m in outcome.messages)


def test_drop_makes_drop_rules(session, admin_actor, active):
    outcome = bulk.bulk_change(session, admin_actor, action="drop", reason="IPS pilot", sids=[9100101],
                               config=active)
    assert outcome.ok, outcome.messages
    assert _changes(session, 2) == {(9100101, "modified")}
    assert "drop tcp" in (active.var_dir / "versions" / "2" / "ops.rules").read_text()
    assert (active.policy_dir / "drop.conf").read_text().endswith("\n9100101\n")


def test_auditor_is_refused_before_anything_is_read(session, auditor_actor, active):
    with pytest.raises(Denied):  # even with a bad action and no reason: the role is checked first
        bulk.bulk_change(session, auditor_actor, action="nonsense", reason="", sids=[9100101], config=active)
    assert "9100101" not in (active.policy_dir / "disable.conf").read_text()


@pytest.mark.parametrize("kwargs, field", [
    ({"action": "disable", "reason": "  \n ", "sids": [9100101]}, "reason"),
    ({"action": "remove", "reason": "x", "sids": [9100101]}, "action"),
    ({"action": "disable", "reason": "x"}, "sids"),
    ({"action": "disable", "reason": "x", "sids": [9100101], "rule_filter": bulk.RuleFilter()}, "sids"),
    ({"action": "disable", "reason": "x", "sids": [True]}, "sids"),
    ({"action": "disable", "reason": "x", "sids": list(range(1, bulk.MAX_SIDS + 2))}, "sids"),
])
def test_bad_input_is_refused_naming_the_field(session, admin_actor, active, kwargs, field):
    with pytest.raises(ValidationFailed) as refused:
        bulk.bulk_change(session, admin_actor, config=active, **kwargs)
    assert refused.value.field == field
    assert len(service.list_versions(session)) == 1


def test_a_filter_over_the_bound_is_refused(session, admin_actor, active, monkeypatch):
    monkeypatch.setattr(bulk, "MAX_SIDS", 5)
    with pytest.raises(ValidationFailed, match="matches 7 rules; at most 5 at once: narrow the filter"):
        bulk.bulk_change(session, admin_actor, action="disable", reason="all", rule_filter=bulk.RuleFilter(),
                         config=active)
    assert "9100101" not in (active.policy_dir / "disable.conf").read_text()


def test_unknown_sids_stale_counts_and_no_op_changes_are_refused(session, admin_actor, active):
    with pytest.raises(NotFound, match="no rule with sid 1234 in the active version 1"):
        bulk.bulk_change(session, admin_actor, action="disable", reason="x", sids=[1234, 9100101], config=active)
    with pytest.raises(Conflict, match="the filter now matches 3 rules, not 2: search again"):
        bulk.bulk_change(session, admin_actor, action="disable", reason="x", rule_filter=bulk.RuleFilter(text="BULK"),
                         expected=2, config=active)
    with pytest.raises(Conflict, match="all 1 chosen rules are already disabled"):
        bulk.bulk_change(session, admin_actor, action="disable", reason="x", sids=[9100003], config=active)


def test_a_refused_build_puts_the_policy_files_back(session, admin_actor, active):
    (active.policy_dir / "enable.conf").write_text("9100101\n")
    before = {name: (active.policy_dir / name).read_bytes() for name in ("enable.conf", "disable.conf")}
    (active.local_dir / "zz-broken.rules").write_text(
        'alert tcp any any -> any any (msg:"broken"; content:"x"; nosuchkeyword; sid:9999001; rev:1;)\n')
    outcome = bulk.bulk_change(session, admin_actor, action="disable", reason="x", sids=[9100101, 9100102],
                               config=active)
    assert not outcome.ok and outcome.version_number is None
    assert {name: (active.policy_dir / name).read_bytes() for name in before} == before
    assert service.active_version(session).number == 1
    assert _events(session, "rules.bulk")[0].outcome == "failure"


def test_page_form_disables_ticked_rules_and_auditor_is_refused(logged_in, session_factory, admin_actor, active,
                                                                 task_worker):  # noqa: F811
    with session_scope(session_factory) as db:
        assert service.build_version(db, admin_actor, config=active).ok  # version 2 in the app's database
    client = logged_in("auditor")
    page = client.get("/rules/search?q=BULK").get_data(as_text=True)
    assert 'data-testid="bulk-form"' not in page
    refused = post_form(client, "/rules/versions", "/rules/bulk",
                        {"action": "disable", "reason": "x", "rule": ["9100101"]})
    assert refused.status_code == 403
    client.post("/logout", data={"csrf_token": _token(client)})
    client = logged_in("security_officer")
    assert 'data-testid="bulk-form"' in client.get("/rules/search?q=BULK").get_data(as_text=True)
    empty = post_form(client, "/rules/search?q=BULK", "/rules/bulk", {"action": "disable", "reason": "x", "q": "BULK"})
    assert empty.status_code == 302
    assert "Tick at least one rule" in client.get(empty.headers["Location"]).get_data(as_text=True)
    done = post_form(client, "/rules/search?q=BULK", "/rules/bulk",
                     {"action": "disable", "reason": "guest VLAN", "scope": "page", "q": "BULK",
                      "page_rule": ["9100101", "9100102", "9100103"]})
    assert done.status_code == 302  # the build is a task: its page follows it
    task = wait_task(session_factory, task_id_of(done.headers["Location"]))
    assert task.kind == "rules.bulk" and task.state.value == "done", task.error
    shown = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Version 3 built, validated and active." in shown and "3 rules changed, 0 already so." in shown
    with session_factory() as db:
        assert _changes(db, 3) == {(9100101, "disabled"), (9100102, "disabled"), (9100103, "disabled")}


def _token(client):
    from tests.conftest import csrf_token

    return csrf_token(client.get("/rules/versions").get_data(as_text=True))


def test_api_bulk_refuses_auditor_first_then_checks_and_builds(client, token_for, session_factory, admin_actor,
                                                               active, task_worker):  # noqa: F811
    with session_scope(session_factory) as db:
        assert service.build_version(db, admin_actor, config=active).ok
    refused = client.post("/api/v1/rules/bulk", json={"nonsense": True}, headers=token_for("auditor"))
    assert refused.status_code == 403
    officer = token_for("security_officer")
    no_reason = client.post("/api/v1/rules/bulk", json={"action": "disable", "sids": [9100101]}, headers=officer)
    assert no_reason.status_code == 400 and no_reason.get_json()["errors"][0]["field"] == "reason"
    both = client.post("/api/v1/rules/bulk", json={"action": "disable", "reason": "x", "sids": [9100101],
                                                   "filter": {}}, headers=officer)
    assert both.status_code == 400
    bad = client.post("/api/v1/rules/bulk", json={"action": "disable", "reason": "x", "filter": {"enabled": "maybe"}},
                      headers=officer)
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["field"] == "filter.enabled"
    unknown = client.post("/api/v1/rules/bulk", json={"action": "disable", "reason": "x", "sids": [42]},
                          headers=officer)
    assert unknown.status_code == 404
    done = client.post("/api/v1/rules/bulk", json={"action": "disable", "reason": "retire the probes",
                                                   "filter": {"q": "bulk probe", "enabled": "yes"}, "expected": 3},
                       headers=officer)
    assert done.status_code == 202, done.get_json()  # checked at once, built in a task
    wait_task(session_factory, done.get_json()["data"]["id"])
    task = client.get(done.get_json()["data"]["status_url"], headers=officer).get_json()["data"]
    assert task["state"] == "done", task["error"]
    data = task["result"]
    assert (data["action"], data["changed"], data["skipped"], data["version_number"]) == ("disable", 3, 0, 3)
    again = client.post("/api/v1/rules/bulk", json={"action": "disable", "reason": "x", "sids": [9100101]},
                        headers=officer)
    assert again.status_code == 409
