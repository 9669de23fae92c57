"""Before a drop goes live: the "would have blocked" preview, counted from stored alerts, and its four-eyes rule.

Version 1 (drop.conf empty) runs on an IPS sensor; drop.conf then turns sid 9100001 into a drop rule and
version 2 is built for real. The preview counts the stored alerts of that sid in the last 7 days, to the
count, by source and destination, and names the inventory hosts (the shipped inventory: dtnmt-web-01 is
198.18.10.11) and their information system. Alerts older than 7 days, and of other sids, do not count.
Such a deploy waits for a second person's approval: the one who asked cannot give it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from console.access.actor import Actor
from console.alerts.ingest import ingest_files
from console.errors import Conflict, PermissionDenied
from console.models import Role
from console.ruleset import operations as ops
from console.ruleset import preview, service
from rules import deploy
from rules.config import SensorConfig
from tests.console.ruleset.test_sensor_modes import KeepingTarget

pytestmark = pytest.mark.sqlite_only  # the preview's two queries are plain; the alerts' own tests run both databases
WEB_01 = "198.18.10.11"  # dtnmt-web-01, a host of the land procedures system
OUTSIDE = ("198.18.200.5", "198.18.200.6")


def eve(sid: int, src: str, dest: str, hours_ago: float) -> str:
    at = (datetime.now(timezone.utc) - timedelta(hours=hours_ago)).isoformat()
    return json.dumps({"timestamp": at, "event_type": "alert", "src_ip": src, "src_port": 40000, "dest_ip": dest,
                       "dest_port": 80, "proto": "TCP", "alert": {"action": "allowed", "gid": 1, "signature_id": sid,
                                                                  "rev": 1, "signature": f"sid {sid}", "severity": 2}})


@pytest.fixture
def stored_alerts(session_factory, synced, tmp_path):
    lines = ([eve(9100001, OUTSIDE[0], WEB_01, h) for h in (1, 2, 3, 30, 100)]      # 5 to a host of the inventory
             + [eve(9100001, OUTSIDE[1], "198.18.99.9", h) for h in (5, 6, 7)]       # 3 to an address it lacks
             + [eve(9100001, OUTSIDE[0], WEB_01, 24 * 8)]                             # older than 7 days
             + [eve(9100002, OUTSIDE[0], WEB_01, h) for h in (1, 2)])                 # another rule
    path = tmp_path / "eve.json"
    path.write_text("\n".join(lines) + "\n")
    ingest_files(session_factory, [path], "ips-inline", 500, 65536)


@pytest.fixture
def settings(config_file, rules_config, tmp_path):
    """The console's settings with an IPS and an IDS sensor in [rules] sensors."""
    from console.settings import load_settings

    rules = rules_config.model_copy(update={"sensors": [
        SensorConfig(name="ips-inline", mode="ips", rules_file=tmp_path / "ips.rules"),
        SensorConfig(name="ids-mirror", mode="ids", rules_file=tmp_path / "ids.rules")]})
    return load_settings(config_file).model_copy(update={"rules": rules})


@pytest.fixture
def two_versions(session, admin_actor, settings, monkeypatch, stored_alerts):
    config = settings.rules
    monkeypatch.setitem(deploy.TARGETS, "local", KeepingTarget)
    assert service.build_version(session, admin_actor, config=config).ok
    assert all(r.ok for r in ops.deploy_active(session, admin_actor, config=config))
    (config.policy_dir / "drop.conf").write_text("9100001\n")
    built = service.build_version(session, admin_actor, config=config)
    assert built.ok
    session.commit()
    return config, built.version_number


def test_the_preview_counts_the_stored_alerts_the_new_drop_rule_would_have_blocked(session, two_versions):
    config, number = two_versions

    [seen] = preview.would_block(session, number, config=config)

    assert (seen.sensor, seen.running, seen.version, seen.sids, seen.days) == ("ips-inline", 1, 2, [9100001], 7)
    assert seen.alerts == 8
    assert [(p["src_ip"], p["dest_ip"], p["dest_host"], p["alerts"]) for p in seen.pairs] == \
        [(OUTSIDE[0], WEB_01, "dtnmt-web-01", 5), (OUTSIDE[1], "198.18.99.9", None, 3)]
    assert seen.hosts == {"dtnmt-web-01": 5}
    assert [(entry["hosts"], entry["alerts"]) for entry in seen.systems.values()] == [(["dtnmt-web-01"], 5)]
    assert seen.needs_approval


def test_a_deploy_that_would_block_inventory_hosts_waits_for_a_second_person(session, admin_actor, two_versions):
    config, number = two_versions
    officer = Actor(username="olga", role=Role.security_officer, client_addr="198.18.0.12", user_id=None)

    with pytest.raises(Conflict, match="dtnmt|inventory hosts"):
        ops.deploy_active(session, admin_actor, config=config)
    preview.request_deploy(session, officer, number, config=config)
    with pytest.raises(PermissionDenied, match="second person"):
        preview.approve_deploy(session, officer, number, "ips-inline")
    preview.approve_deploy(session, admin_actor, number, "ips-inline")

    results = ops.deploy_active(session, admin_actor, config=config)

    assert [r.ok for r in results] == [True, True]
    assert "drop http" in KeepingTarget.sent["ips-inline"] and "drop http" not in KeepingTarget.sent["ids-mirror"]
    [after] = preview.would_block(session, number, config=config)
    assert after.running == number and after.sids == [] and not after.needs_approval


def test_the_deploy_page_shows_the_preview_and_refuses_the_deploy_until_approved(logged_in, two_versions):
    from tests.conftest import csrf_token

    officer = logged_in("security_officer")
    page = officer.get("/rules/deploy/preview").get_data(as_text=True)
    assert "would have blocked 8 alerts in the last 7 days" in page and "dtnmt-web-01" in page
    assert 'data-testid="needs-approval"' in page and page.count('data-testid="pair"') == 2

    refused = officer.post("/rules/deploy", data={"csrf_token": csrf_token(page)})

    assert refused.status_code == 302 and refused.headers["Location"].endswith("/rules/deploy/preview")
    officer.post("/rules/deploy/request", data={"csrf_token": csrf_token(page)})
    page = officer.get("/rules/deploy/preview").get_data(as_text=True)
    assert 'data-testid="waiting"' in page and "Asked for by securityofficer1" in page
    officer.post("/rules/deploy/approve/ips-inline", data={"csrf_token": csrf_token(page)})
    page = officer.get("/rules/deploy/preview").get_data(as_text=True)
    assert "a second person must approve it" in page and 'data-testid="approved"' not in page
    version = officer.get("/rules/versions/2").get_data(as_text=True)
    assert "1 drop rules (SIDs 9100001) block on the IPS sensors: ips-inline; the IDS sensors alert on them: " \
           "ids-mirror." in version


def test_the_api_gives_the_preview_and_answers_409_to_a_deploy_not_yet_approved(client, two_versions,
                                                                                 session_factory, make_user):
    from tests.console.alerts.test_alert_action import bearer

    headers = bearer(session_factory, make_user)
    data = client.get("/api/v1/rules/deploy/preview", headers=headers).get_json()["data"]
    assert data["version"] == 2
    [seen] = data["previews"]
    assert (seen["sensor"], seen["alerts"], seen["hosts"], seen["needs_approval"], seen["approval"]) == \
        ("ips-inline", 8, {"dtnmt-web-01": 5}, True, None)
    officer = bearer(session_factory, make_user, "security_officer", "api-officer")
    refused = client.post("/api/v1/rules/deploy", json={}, headers=officer)
    assert refused.status_code == 409 and "second person" in refused.get_json()["errors"][0]["message"]


def test_the_api_asks_for_the_deploys_approval_and_a_second_person_gives_it(client, two_versions, session_factory,
                                                                          make_user):
    from tests.console.alerts.test_alert_action import bearer

    auditor = bearer(session_factory, make_user)
    officer = bearer(session_factory, make_user, "security_officer", "api-officer")
    admin = bearer(session_factory, make_user, "admin", "api-admin")
    assert client.post("/api/v1/rules/deploy/request", headers=auditor).status_code == 403

    asked = client.post("/api/v1/rules/deploy/request", headers=officer)

    assert asked.status_code == 200, asked.get_json()
    [seen] = asked.get_json()["data"]["previews"]
    assert (seen["sensor"], seen["approval"]) == ("ips-inline", {"requested_by": "api-officer", "approved_by": None})
    same = client.post("/api/v1/rules/deploy/approve", json={"sensor": "ips-inline"}, headers=officer)
    assert same.status_code == 403 and "second person" in same.get_json()["errors"][0]["message"]
    assert client.post("/api/v1/rules/deploy", json={}, headers=officer).status_code == 409
    nothing = client.post("/api/v1/rules/deploy/approve", json={"sensor": "ids-mirror"}, headers=admin)
    assert nothing.status_code == 404
    approved = client.post("/api/v1/rules/deploy/approve", json={"sensor": "ips-inline"}, headers=admin)
    assert approved.status_code == 200, approved.get_json()
    given = approved.get_json()["data"]
    assert (given["version"], given["requested_by"], given["approved_by"], given["alerts"], given["hosts"]) == \
        (2, "api-officer", "api-admin", 8, ["dtnmt-web-01"])
    assert client.post("/api/v1/rules/deploy/approve", json={"sensor": "ips-inline"}, headers=admin).status_code == 409
    assert client.post("/api/v1/rules/deploy", json={}, headers=officer).status_code == 202
