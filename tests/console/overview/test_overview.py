"""The overview: tiles filled from real data, their links, empty states, the API, roles, the fragment, Vietnamese."""

from __future__ import annotations

import re

import pytest

from console.access.actor import Role
from tests.conftest import csrf_token, login
from tests.console.compliance.helpers import results_of
from tests.console.overview import helpers

ROLES = [role.value for role in Role]


def tile(html: str, name: str) -> str:
    found = re.search(rf'<article data-testid="tile-{name}">(.*?)</article>', html, re.S)
    assert found, f"no tile {name}"
    return found.group(1)


def figure(html: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"[^>]*>\s*(?:<[^>]+>\s*)*([^<]+?)\s*<', html)
    assert found, f"nothing marked {testid}"
    return found.group(1).strip()


def href(html: str, testid: str) -> str:
    found = re.search(rf'<a href="([^"]+)" data-testid="{testid}"', html)
    assert found, f"no link marked {testid}"
    return found.group(1).replace("&amp;", "&")


def test_every_tile_filled_from_real_data_links_to_the_page_it_counts(logged_in, session_factory, synced, settings,
                                                                       tmp_path):
    helpers.host_reports(session_factory)
    first, second = helpers.two_runs(session_factory)
    helpers.alerts(session_factory, tmp_path)
    helpers.devices(session_factory, settings)
    helpers.jobs(session_factory)
    helpers.rulesets(session_factory)
    fresh, late = helpers.open_incidents(session_factory)
    client = logged_in("auditor")
    html = client.get("/").get_data(as_text=True)

    hosts = tile(html, "hosts")
    assert figure(hosts, "active-hosts") == "27"
    counts = {key: int(re.search(rf'data-testid="hosts-{key}">.*?<strong>(\d+)</strong>', hosts, re.S).group(1))
              for key in ("ok", "warning", "stale", "never_seen")}
    assert counts == {"ok": 2, "warning": 1, "stale": 1, "never_seen": 23}  # dtnmt-dns-01 reported for run 2
    assert href(hosts, "active-hosts") == "/hosts/?status=active"

    compliance = tile(html, "compliance")
    api = client.get("/api/v1/overview")  # session cookies are not accepted by the API
    assert api.status_code == 401
    run_link = href(compliance, "compliance-score")
    assert run_link == f"/compliance/runs/{second}"
    assert client.get(run_link).status_code == 200
    assert "since the run before" in compliance and 'data-testid="compliance-change"' in compliance
    trend = re.search(r"data-chart='([^']+)'", tile(html, "compliance-trend")).group(1)
    assert trend.count("dd") == 0 and len(re.findall(r"\d\d/\d\d \d\d:\d\d", trend)) == 2  # two runs, local times
    fails: dict[str, set] = {}
    for (control, target), result in results_of(session_factory, second).items():
        if result == "fail":
            fails.setdefault(control, set()).add(target)
    expected = sorted(fails, key=lambda c: (-len(fails[c]), c))[:5]
    shown = re.findall(r'data-testid="failing-([^"]+)">[^<]+</a>: (\d+) failing', tile(html, "compliance-trend"))
    assert shown == [(control, str(len(fails[control]))) for control in expected]
    assert "FW-02" in fails and fails["FW-02"] == {"dtnmt-ids-01"}
    failing = href(tile(html, "compliance-trend"), f"failing-{expected[0]}")
    assert failing == f"/compliance/runs/{second}?result=fail&control_id={expected[0]}"
    page = client.get(failing).get_data(as_text=True)
    assert all(target in page for target in fails[expected[0]])

    alerts = tile(html, "alerts")
    assert figure(alerts, "alerts-unreviewed") == "4"  # four groups (a group is a signature between two addresses)
    assert re.search(r'data-testid="alerts-severity-1"><span class="severity severity-high">high</span> '
                     r'<strong>2</strong>', alerts)  # Suricata's 1 is high: a word with a colour
    assert re.search(r'data-testid="alerts-severity-3"><span class="severity severity-low">low</span>', alerts)
    assert href(alerts, "alerts-severity-1") == "/alerts/?severity=1"
    inbox = client.get("/alerts/?severity=1").get_data(as_text=True)
    assert "OVERVIEW test severity 1" in inbox and "OVERVIEW test severity 2" not in inbox
    assert "data-chart=" in tile(html, "alerts-chart")

    devices = tile(html, "devices")
    assert figure(devices, "ups-state-ups-a") == "on battery" and "25 min runtime left" in devices
    assert figure(devices, "ups-state-ups-b") == "unknown"
    assert figure(devices, "firewall-state-fw-a") == "reachable"
    assert figure(devices, "firewall-state-fw-b") == "not reachable" and "connection refused" in devices
    assert href(devices, "ups-ups-a") == "/devices/"

    rules = tile(html, "rules")
    assert figure(rules, "ruleset-active") == "2"
    assert "version 2 (active)" in rules and "version 1, not the active one" in rules
    assert figure(rules, "sensor-failed-sensor-a") == "3 rules failed"

    jobs = tile(html, "jobs")
    assert figure(jobs, "jobs-running") == "1" and figure(jobs, "jobs-queued") == "1 queued"
    assert figure(jobs, "jobs-failed") == "2 failed in the last 24 h"
    assert href(jobs, "jobs-failed") == "/jobs/?state=failed"
    assert client.get("/jobs/?state=failed").status_code == 200

    open_ones = tile(html, "incidents")
    assert figure(open_ones, "incidents-open") == "2" and figure(open_ones, "incidents-overdue") == "1 overdue"
    assert "Ransomware on file server" in open_ones and "Old phishing wave" not in open_ones
    assert re.search(r"2[01] h \d+ min left", open_ones)  # the fresh one: its 24 h notice
    assert "overdue by 6 h" in open_ones  # the late one: notice due 6 h ago
    assert f"/incidents/{late}" in open_ones and f"/incidents/{fresh}" in open_ones

    systems = tile(html, "systems")
    met = re.findall(r'data-testid="system-met-([a-z_]+)">([^<]+)<', systems)
    assert met and all(value.endswith("%") for _key, value in met)
    assert "/compliance/systems/" in systems and client.get("/compliance/systems/").status_code == 200


def test_api_answers_the_same_figures(client, make_user, session_factory, synced, settings, tmp_path):
    from console.access import tokens
    from console.access.actor import Actor
    from console.db import session_scope

    helpers.host_reports(session_factory)
    _first, second = helpers.two_runs(session_factory)
    helpers.alerts(session_factory, tmp_path)
    helpers.jobs(session_factory)
    helpers.devices(session_factory, settings)
    helpers.open_incidents(session_factory)
    assert client.get("/api/v1/overview").status_code == 401
    make_user("viewer", "auditor")
    with session_scope(session_factory) as session:
        secret = tokens.create_token(session, Actor("viewer", Role.auditor), "wall display", None, 30)[1]
    answer = client.get("/api/v1/overview", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    data = answer.get_json()["data"]
    assert data["hosts"] == {"active": 27, "retired": 0,
                             "health": {"ok": 2, "warning": 1, "stale": 1, "never_seen": 23}}
    assert data["compliance"]["run_id"] == second and len(data["compliance"]["trend"]) == 2
    top = data["compliance"]["top_failing"]
    assert len(top) == 5 and [row["targets"] for row in top] == sorted((row["targets"] for row in top), reverse=True)
    assert data["alerts"]["unreviewed"] == {"1": 2, "2": 1, "3": 1} and data["alerts"]["total_in_window"] == 4
    assert len(data["alerts"]["per_hour"]["labels"]) == 168
    assert data["jobs"] == {"running": 1, "queued": 1, "failed": 2, "error": 0, "hours": 24}
    assert {u["name"]: u["state"] for u in data["devices"]["ups"]} == {"ups-a": "on_battery", "ups-b": "unknown"}
    assert data["incidents"]["open"] == 2 and data["incidents"]["overdue"] == 1
    assert isinstance(data["incidents"]["items"][0]["due"], str)
    from apispec.yaml_utils import load_yaml_from_docstring

    from console.api.overview import overview

    operation = load_yaml_from_docstring(overview.__doc__)["get"]  # the block openapi.json is built from
    assert operation["responses"][401] == {"$ref": "#/components/responses/Unauthorized"}


@pytest.mark.parametrize("role", ROLES)
def test_every_role_may_view_the_overview_and_its_fragment(client, make_user, role):
    login(client, make_user(f"{role.replace('_', '')}9", role))
    assert client.get("/").status_code == 200
    fragment = client.get("/overview/tiles", headers={"HX-Request": "true"})
    assert fragment.status_code == 200


def test_fragment_is_the_tiles_alone_and_the_page_refreshes_it(logged_in, session_factory, synced):
    client = logged_in("security_officer")
    page = client.get("/").get_data(as_text=True)
    assert 'hx-get="/overview/tiles"' in page and 'hx-trigger="every 30s"' in page
    assert "<script>" not in page and " style=" not in page
    helpers.jobs(session_factory)
    fragment = client.get("/overview/tiles").get_data(as_text=True)
    assert "<html" not in fragment and 'data-testid="tile-jobs"' in fragment
    assert figure(tile(fragment, "jobs"), "jobs-running") == "1"  # fresh figures, not the page's
    assert " style=" not in fragment and "<script" not in fragment


def test_signed_out_fragment_is_refused(client):
    response = client.get("/overview/tiles")
    assert response.status_code in (302, 401)


def test_vietnamese_overview(logged_in, session_factory, synced, settings):
    client = logged_in("auditor")
    helpers.jobs(session_factory)
    helpers.devices(session_factory, settings)
    page = client.get("/").get_data(as_text=True)
    client.post("/language", data={"locale": "vi", "csrf_token": csrf_token(page)})
    html = client.get("/").get_data(as_text=True)
    assert "Chưa có lượt đánh giá tuân thủ nào" in html
    assert "2 thất bại trong 24 giờ qua" in html
    assert "đang chạy bằng pin" in html
    assert "No compliance run yet" not in html and "failed in the last" not in html


def test_health_counts_agree_with_each_hosts_condition(session_factory, synced):
    """The overview's counts (column queries and a per-report memo) say what the hosts page says per host."""
    from console.agents import host_reports
    from console.inventory.hosts import active_host_ids, list_hosts
    from tests.console.compliance.helpers import enrol, ingest, report

    helpers.host_reports(session_factory)
    for host, sections in (("dtnmt-web-01", {"ups": [{"name": "ups-a", "reachable": True, "status_flags": ["OB"]}]}),
                           ("dtnmt-web-02", {"antivirus": [{"provider": "clamav", "installed": False}]})):
        ingest(session_factory, enrol(session_factory, host), report(host, **sections))
    with session_factory() as session:
        expected = {}
        for condition in host_reports.conditions(session, list_hosts(session, status="active", limit=1000)).values():
            expected[condition.status.value] = expected.get(condition.status.value, 0) + 1
        counted = host_reports.health_counts(session, active_host_ids(session))
        assert {key: n for key, n in counted.items() if n} == expected
        assert counted["warning"] == 3
        assert host_reports.health_counts(session, active_host_ids(session)) == counted  # from the memo
    agent = enrol(session_factory, "dtnmt-db-01")
    ingest(session_factory, agent, report("dtnmt-db-01"))
    with session_factory() as session:
        assert host_reports.health_counts(session, active_host_ids(session))["ok"] == counted["ok"] + 1
