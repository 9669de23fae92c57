"""A rules deploy from the page and the API is a background task: the answer comes at once, the consumer
pushes, and a failed push shows its reason on the task page (a local sensor whose Suricata is down)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from console.db import session_scope
from console.models import RuleDeployment
from console.ruleset import service
from rules.config import SensorConfig
from tests.conftest import csrf_token
from tests.console.tasks.fixtures import task_id_of, task_worker, wait_task  # noqa: F401  (fixture)


@pytest.fixture
def stopped_sensor(tmp_path):
    folder = tmp_path / "stopped"
    folder.mkdir()
    (folder / "suricata.rules").write_text("# the rules the sensor had\n")
    return SensorConfig(name="ids-down", rules_file=folder / "suricata.rules",
                        threshold_file=folder / "threshold.config", socket=folder / "none.socket",
                        version_file=folder / "version")


@pytest.fixture
def settings(config_file, rules_config, stopped_sensor):
    from console.settings import load_settings

    return load_settings(config_file).model_copy(update={"rules": rules_config.model_copy(
        update={"sensors": [stopped_sensor]})})


def test_deploy_from_the_page_returns_at_once_and_the_failed_push_shows_its_reason(
        logged_in, session_factory, admin_actor, stopped_sensor, task_worker):  # noqa: F811
    client = logged_in("security_officer")
    token = csrf_token(client.get("/rules/").get_data(as_text=True))
    refused = client.post("/rules/deploy", data={"csrf_token": token})  # nothing built yet: refused at once
    assert refused.status_code == 302 and refused.headers["Location"].endswith("/rules/")
    with session_scope(session_factory) as db:
        assert service.build_version(db, admin_actor).ok
    sent = client.post("/rules/deploy", data={"csrf_token": token})
    assert sent.status_code == 302
    task = wait_task(session_factory, task_id_of(sent.headers["Location"]))
    assert task.state.value == "failed" and "ids-down" in task.error and "previous files restored" in task.error
    page = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert 'data-state="failed"' in page and "previous files restored" in page and 'href="/rules/"' in page
    assert task.progress == "1/1 ids-down"
    with session_scope(session_factory) as db:
        [row] = db.scalars(select(RuleDeployment)).all()
        assert (row.sensor, row.status) == ("ids-down", "failed")
    assert (stopped_sensor.rules_file).read_text() == "# the rules the sensor had\n"


def test_api_deploy_answers_202_and_refuses_unknown_sensors_at_once(client, session_factory, admin_actor,
                                                                   token_for, task_worker):  # noqa: F811
    headers = token_for("security_officer")
    with session_scope(session_factory) as db:
        assert service.build_version(db, admin_actor).ok
    assert client.post("/api/v1/rules/deploy", headers=headers, json={"sensors": ["nope"]}).status_code == 404
    assert client.post("/api/v1/rules/deploy", headers=token_for("auditor")).status_code == 403
    queued = client.post("/api/v1/rules/deploy", headers=headers, json={"sensors": ["ids-down"]})
    assert queued.status_code == 202
    wait_task(session_factory, queued.get_json()["data"]["id"])
    status = client.get(queued.headers["Location"], headers=headers).get_json()["data"]
    assert status["state"] == "failed" and status["result"]["sensors"][0]["ok"] is False
    assert "previous files restored" in status["error"]
