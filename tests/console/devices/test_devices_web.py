"""The Devices page, the device page with 'poll now', and /api/v1/devices, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from console.db import session_scope
from console.models import AuditEvent
from console.settings import load_settings
from tests.conftest import csrf_token
from tests.console.tasks.fixtures import task_id_of, task_worker, wait_task  # noqa: F401  (fixture)
from tests.fixtures.sophos_api import PASSWORD, USERNAME


@pytest.fixture
def settings(config_file, upsd, sophos_api, monkeypatch):
    """The test console's ops.toml with a NUT UPS (real upsd) and the XG210 (replay double)."""
    monkeypatch.setenv("TEST_XG_PASSWORD", PASSWORD)
    _file, port, _server = upsd
    config_file.write_text(config_file.read_text() + f"""
[[devices]]
name = "ups-room-a"
kind = "ups"
connector = "nut"
address = "127.0.0.1"
port = {port}
ups = "testups"
hosts = ["dtnmt-web-01", "dtnmt-db-01"]

[[devices]]
name = "xg210"
kind = "firewall"
connector = "sophos"
address = "127.0.0.1"
port = {sophos_api.port}
username = "{USERNAME}"
password = "env:TEST_XG_PASSWORD"
pin_sha256 = "{sophos_api.pin}"
hosts = ["dtnmt-web-01"]
timeout_seconds = 2
""")
    return load_settings(config_file)


def test_devices_page_lists_never_polled_devices_to_an_auditor_without_poll_button(logged_in):
    client = logged_in("auditor")
    page = client.get("/devices/").get_data(as_text=True)
    assert "ups-room-a" in page and "xg210" in page and "sophos" in page
    assert page.count("never polled") >= 2
    assert 'href="/devices/"' in page  # the navigation link


def polled(client, session_factory, name: str, token: str):
    """Poll now: the answer is a redirect at once to the task's page; the poll happens in the task worker."""
    response = client.post(f"/devices/{name}/poll", data={"csrf_token": token})
    assert response.status_code == 302
    task = wait_task(session_factory, task_id_of(response.headers["Location"]))
    assert task.state.value == "done", task.error
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_it_staff_polls_now_and_sees_the_state_and_history(logged_in, session_factory, task_worker):  # noqa: F811
    client = logged_in("it_staff")
    client.get("/devices/")
    page = client.get("/devices/").get_data(as_text=True)
    token = csrf_token(page)
    status = polled(client, session_factory, "ups-room-a", token)
    assert "ups-room-a polled: ok" in status and 'href="/devices/ups-room-a"' in status
    detail = client.get("/devices/ups-room-a").get_data(as_text=True)
    assert 'data-testid="poll-now"' in detail and "OL" in detail and "Done and passed" in detail
    polled(client, session_factory, "xg210", token)
    firewall = client.get("/devices/xg210").get_data(as_text=True)
    assert "lantowan_general" in firewall and "LAN to WAN web" in firewall and "1905.1" in firewall
    listing = client.get("/devices/").get_data(as_text=True)
    assert "never polled" not in listing and "admin services on WAN" in listing
    with session_scope(session_factory) as db:
        polls = db.scalars(select(AuditEvent).where(AuditEvent.action == "devices.poll")).all()
        assert [(e.actor, e.object_id) for e in polls] == [("itstaff1", "ups-room-a"), ("itstaff1", "xg210")]


def test_an_unreachable_firewall_shows_unknown_with_the_reason(logged_in, sophos_api, session_factory,
                                                               task_worker):  # noqa: F811
    sophos_api.mode = "garbage"
    client = logged_in("admin")
    token = csrf_token(client.get("/devices/").get_data(as_text=True))
    status = polled(client, session_factory, "xg210", token)
    assert "xg210 polled: unknown (" in status and "not XML the API sends" in status
    detail = client.get("/devices/xg210").get_data(as_text=True)
    assert "Unknown" in detail and "not XML the API sends" in detail
    assert PASSWORD not in detail


def test_auditor_may_not_poll(logged_in):
    client = logged_in("auditor")
    token = csrf_token(client.get("/devices/").get_data(as_text=True))
    assert client.post("/devices/ups-room-a/poll", data={"csrf_token": token}).status_code == 403


def test_api_lists_devices_and_only_it_staff_may_poll(client, token_for, session_factory, task_worker):  # noqa: F811
    auditor, staff = token_for("auditor"), token_for("it_staff")
    listed = client.get("/api/v1/devices", headers=auditor).json["data"]
    assert [(d["name"], d["status"], d["reason"]) for d in listed] == [
        ("ups-room-a", "unknown", "never polled"), ("xg210", "unknown", "never polled")]
    assert client.post("/api/v1/devices/ups-room-a/poll", headers=auditor).status_code == 403
    queued = client.post("/api/v1/devices/ups-room-a/poll", headers=staff)
    assert queued.status_code == 202 and queued.headers["Location"] == queued.json["data"]["status_url"]
    assert client.post("/api/v1/devices/nope/poll", headers=staff).status_code == 404
    wait_task(session_factory, queued.json["data"]["id"])
    status = client.get(queued.json["data"]["status_url"], headers=auditor).json["data"]
    assert status["state"] == "done" and status["result"]["status"] == "ok" and status["started_by"]
    one = client.get("/api/v1/devices/ups-room-a", headers=auditor).json["data"]
    assert one["fields"]["status_flags"] == ["OL"] and one["host_names"] == ["dtnmt-web-01", "dtnmt-db-01"]
    assert len(one["history"]) == 1
    assert client.get("/api/v1/devices/nope", headers=auditor).status_code == 404
    assert client.get("/api/v1/devices").status_code == 401
