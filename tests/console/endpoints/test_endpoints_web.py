"""The Endpoints page, an endpoint's page, /api/v1/endpoints and `ops endpoints ...`, against the KSC replay double."""

from __future__ import annotations

import pytest

from console.access.actor import Actor
from console.db import session_scope
from console.endpoints import service
from console.lab.ksc import USERNAME
from tests.console.cli.test_cli import ops
from tests.fixtures.ksc_replay import PASSWORD


def endpoints_table(replay, timeout: float = 2) -> str:
    return f"""
[endpoints]
address = "127.0.0.1"
port = {replay.port}
username = "{USERNAME}"
password = "env:TEST_KSC_PASSWORD"
pin_sha256 = "{replay.pin}"
timeout_seconds = {timeout}
groups = {{"IT Centre" = "unit_it_centre", "Department Office" = "unit_department_office"}}
"""


@pytest.fixture
def settings(config_file, ksc_replay):
    from console.settings import load_settings

    config_file.write_text(config_file.read_text() + endpoints_table(ksc_replay))
    return load_settings(config_file)


@pytest.fixture
def synced_endpoints(session_factory, settings, synced, ksc_replay):
    ksc_replay.estate.hosts[4]["KLHST_WKS_RTP_STATE"] = 1
    with session_scope(session_factory) as db:
        assert service.sync(db, settings, Actor.cli()).status == "ok"


def test_the_page_shows_the_coverage_figure_and_filters_by_state(logged_in, synced_endpoints, ksc_replay):
    client = logged_in("auditor")
    page = client.get("/endpoints/").get_data(as_text=True)
    assert 'data-testid="coverage-figure"' in page and "dtnmt-bak-01" in page  # an inventory server KSC misses
    off_name = ksc_replay.estate.hosts[4]["KLHST_WKS_DN"]
    filtered = client.get("/endpoints/?state=protection_off").get_data(as_text=True)
    assert off_name in filtered and "dtnmt-web-01</a>" not in filtered.split('id="endpoints-table"')[1]
    assert client.get("/endpoints/?state=melted").status_code == 400


def test_an_endpoint_page_shows_its_history(logged_in, synced_endpoints, session_factory):
    client = logged_in("it_staff")
    with session_scope(session_factory) as db:
        row = service.list_endpoints(db, service.parse_filter({"q": "dtnmt-web-01"}))[0]
        endpoint_id = row.id
    page = client.get(f"/endpoints/{endpoint_id}").get_data(as_text=True)
    assert 'data-testid="endpoint-history"' in page and "dtnmt-web-01" in page
    assert client.get("/endpoints/999999").status_code == 404


def test_the_pages_need_a_login(client):
    assert client.get("/endpoints/").status_code == 302


def test_the_api_lists_pages_and_gives_coverage(client, token_for, synced_endpoints):
    headers = token_for("auditor")
    first = client.get("/api/v1/endpoints?limit=5", headers=headers).get_json()
    assert first["success"] and len(first["data"]) == 5 and first["next"]
    second = client.get(f"/api/v1/endpoints?limit=5&after={first['next']}", headers=headers).get_json()
    assert not {item["id"] for item in first["data"]} & {item["id"] for item in second["data"]}
    detail = client.get(f"/api/v1/endpoints/{first['data'][0]['id']}", headers=headers).get_json()["data"]
    assert detail["history"] and detail["history"][0]["state"] == detail["state"]
    figure = client.get("/api/v1/endpoints/coverage", headers=headers).get_json()["data"]
    assert figure["endpoints"] == 15 and figure["counts"]["protection_off"] >= 1
    assert figure["last_sync"]["status"] == "ok"
    assert client.get("/api/v1/endpoints/unmanaged", headers=headers).get_json()["data"] == []
    bad = client.get("/api/v1/endpoints?state=melted", headers=headers)
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["field"] == "state"
    assert client.get("/api/v1/endpoints").status_code == 401


def test_cli_sync_list_and_unmanaged(config_file, settings, synced, ksc_replay):
    env = {"TEST_KSC_PASSWORD": PASSWORD}
    result = ops("endpoints", "sync", config=config_file, env=env)
    assert result.returncode == 0, result.stderr
    assert "15 endpoints: 15 new" in result.stdout and "coverage:" in result.stdout
    listed = ops("endpoints", "list", "--unit", "unit_department_office", config=config_file, env=env)
    assert "ws-department-office-0001" in listed.stdout and "dtnmt-web-01" not in listed.stdout
    unmanaged = ops("endpoints", "unmanaged", config=config_file, env=env)
    assert unmanaged.returncode == 0 and "0 unmanaged addresses" in unmanaged.stdout


def test_cli_sync_exits_1_and_keeps_the_data_when_ksc_refuses(config_file, settings, synced_endpoints, ksc_replay):
    result = ops("endpoints", "sync", config=config_file, env={"TEST_KSC_PASSWORD": "wrong-pass-42"})
    assert result.returncode == 1
    assert "failed: KSC 127.0.0.1" in result.stdout and "login refused" in result.stdout
    assert "wrong-pass-42" not in result.stdout + result.stderr
    listed = ops("endpoints", "list", config=config_file)
    assert "dtnmt-web-01" in listed.stdout and "failed" in listed.stdout
