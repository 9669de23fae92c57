"""What people see, after real rounds of checks against real servers (the proxy's port dropped by nftables, so it is
down and its 3 dependents unreachable): the Availability page (signed in, both languages), /api/v1/availability
(documented), `ops availability status`, and the Overview tile."""

from __future__ import annotations

from datetime import timedelta

import pytest

from console.availability import runner
from console.models.base import utcnow
from tests.conftest import csrf_token, login
from tests.console.availability.test_outages import DROP_ALL, NOTIFY, services
from tests.console.cli.test_cli import ops


@pytest.fixture
def config_file(config_file, servers):
    net, ca = servers
    config_file.write_text(config_file.read_text() + NOTIFY + services(net.address, ca))
    return config_file


@pytest.fixture
def checked(session_factory, settings, servers):
    """Two rounds a minute apart with the proxy's ports dropped, then the ports open again (the state stays)."""
    net, _ = servers
    net.nft(DROP_ALL)
    try:
        start = utcnow() - timedelta(minutes=2)
        runner.run_due(session_factory, settings, start)
        runner.run_due(session_factory, settings, start + timedelta(minutes=1))
    finally:
        net.nft("flush ruleset")


def test_the_page_shows_each_service_state_response_time_and_certificate_days(logged_in, checked):
    client = logged_in("auditor")
    page = client.get("/availability/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="state-proxy">down</span>' in html
    assert html.count(">unreachable: proxy down</span>") == 3
    assert 'data-testid="depends-portal">depends on proxy</small>' in html  # shown whatever the parent's state
    assert 'data-testid="depends-proxy"' not in html
    assert 'data-testid="state-cert">degraded</span>' in html
    assert 'data-testid="certificate-cert">5 days left</td>' in html
    assert 'href="/availability/"' in html  # in the navigation


def test_the_page_in_vietnamese(client, make_user, checked):
    login(client, make_user("ketoan", "auditor"))
    page = client.get("/availability/").get_data(as_text=True)
    client.post("/language", data={"locale": "vi", "csrf_token": csrf_token(page)})
    html = client.get("/availability/").get_data(as_text=True)
    assert "<h1>Tính sẵn sàng</h1>" in html
    assert html.count(">không truy cập được: proxy ngừng hoạt động</span>") == 3
    assert 'data-testid="depends-portal">phụ thuộc vào proxy</small>' in html
    assert 'data-testid="certificate-cert">còn 5 ngày</td>' in html


def test_the_page_needs_a_sign_in(client):
    answer = client.get("/availability/")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_the_api_lists_services_with_their_checks_and_one_by_name(client, token_for, checked):
    headers = token_for("auditor")
    data = client.get("/api/v1/availability", headers=headers).json["data"]
    by_name = {item["name"]: item for item in data}
    assert by_name["proxy"]["state"] == "down" and by_name["proxy"]["checks"][0]["failures_in_a_row"] == 2
    assert {by_name[name]["cause"] for name in ("portal", "one-stop", "land-db")} == {"service:proxy"}
    assert by_name["cert"]["certificate_days_left"] == 5 and by_name["cert"]["checks"][0]["tls_version"] == "TLSv1.3"
    one = client.get("/api/v1/availability/portal", headers=headers)
    assert one.status_code == 200 and one.json["data"]["parent"] == "proxy"
    missing = client.get("/api/v1/availability/nope", headers=headers)
    assert missing.status_code == 404 and missing.json["success"] is False
    assert client.get("/api/v1/availability").status_code == 401
    document = client.get("/api/v1/openapi.json", headers=headers).json
    assert "/api/v1/availability" in document["paths"] and "/api/v1/availability/{name}" in document["paths"]
    assert document["components"]["schemas"]["ServiceState"]["enum"] == [
        "up", "degraded", "down", "unreachable", "maintenance", "unknown"]


def test_the_overview_tile_and_api_count_the_services(logged_in, checked):
    client = logged_in("it_staff")
    html = client.get("/").get_data(as_text=True)
    assert 'data-testid="tile-availability"' in html
    assert 'data-testid="availability-up"><strong>0</strong> / 5</a>' in html
    assert "Nearest certificate expiry: cert, 5 days" in html


def test_ops_availability_status_exits_1_while_a_service_is_down(config_file, checked):
    result = ops("availability", "status", config=config_file)
    assert result.returncode == 1, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines()[1:]}
    assert " down " in lines["proxy"] and "unreachable: proxy down" in lines["land-db"]
    assert lines["cert"].split()[:4] == ["cert", "degraded", "-", "5"]


def test_metrics_show_each_service_state_and_certificate_days(client, token_for, checked):  # noqa: F811
    text = client.get("/metrics", headers=token_for("auditor")).get_data(as_text=True)
    assert 'ops_availability_service_state{service="proxy",state="down"} 1.0' in text
    assert 'ops_availability_service_state{service="proxy",state="up"} 0.0' in text
    assert 'ops_availability_service_state{service="portal",state="unreachable"} 1.0' in text
    assert 'ops_availability_certificate_days_left{service="cert"} 5.0' in text
