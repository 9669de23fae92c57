"""Confirming a false positive builds a ruleset version (suricata -T): the page and the API queue it as a task.

The page goes to the task's page, which follows the build and links back to the group (applied, with its
version); the API answers 202 with the status URL, and the task's result carries the group's outcome.
"""

from __future__ import annotations

import pytest

from console.access.actor import Actor
from console.alerts import triage as alerts_triage
from console.db import session_scope
from console.models import AlertGroup, Role
from console.ruleset import service as rules_service
from tests.conftest import csrf_token
from tests.console.alerts.test_triage import groups  # noqa: F401  (fixture)
from tests.console.tasks.fixtures import task_id_of, task_worker, wait_task  # noqa: F401  (fixture)

WEB = (9905001, "198.18.200.12")
DNS = (9905003, "198.18.200.11")


@pytest.fixture
def settings(config_file, rules_config):
    from console.settings import load_settings

    return load_settings(config_file).model_copy(update={"rules": rules_config})


@pytest.fixture
def version_one(session_factory, admin_actor):
    with session_scope(session_factory) as db:
        assert rules_service.build_version(db, admin_actor, reason="first").ok


def test_page_and_api_confirm_in_a_task_and_the_group_shows_the_version(logged_in, client, token_for, session_factory,
                                                                         groups, version_one,  # noqa: F811
                                                                         task_worker):  # noqa: F811
    officer = Actor("officer", Role.security_officer)
    with session_scope(session_factory) as db:
        for key in (WEB, DNS):
            alerts_triage.propose_false_positive(db, officer, groups[key])
    headers = token_for("security_officer")
    answer = client.post(f"/api/v1/alerts/groups/{groups[DNS]}/false-positive/confirm",
                         json={"reason": "the resolver's own lookups"}, headers=headers)
    assert answer.status_code == 202, answer.get_json()
    assert answer.json["data"]["kind"] == "alerts.false_positive"
    wait_task(session_factory, answer.json["data"]["id"])
    task = client.get(answer.json["data"]["status_url"], headers=headers).json["data"]
    assert task["state"] == "done", task["error"]
    assert (task["result"]["group_id"], task["result"]["status"], task["result"]["version"]) == (groups[DNS],
                                                                                                 "applied", 2)

    client = logged_in("security_officer")
    group_page = client.get(f"/alerts/groups/{groups[WEB]}").get_data(as_text=True)
    sent = client.post(f"/alerts/groups/{groups[WEB]}/false-positive/confirm",
                       data={"csrf_token": csrf_token(group_page), "reason": "lab scanners"})
    assert sent.status_code == 302
    with session_factory() as db:
        assert db.get(AlertGroup, groups[WEB]).fp_status in ("pending", "applied")  # pending until the task ends
    ended = wait_task(session_factory, task_id_of(sent.headers["Location"]))
    assert ended.state.value == "done", ended.error
    shown = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Applied: ruleset version 3 carries it." in shown and f"/alerts/groups/{groups[WEB]}" in shown
    group_page = client.get(f"/alerts/groups/{groups[WEB]}").get_data(as_text=True)
    assert 'data-testid="fp-status">applied' in group_page and "ruleset version 3" in group_page
