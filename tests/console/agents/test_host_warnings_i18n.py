"""Host warnings in the user's language: the hosts list, the host page; the API keeps English and a stable code."""

from __future__ import annotations

import html as html_lib
import re

from console.access import tokens
from console.access.actor import Actor, Role
from console.agents import host_reports
from console.db import session_scope
from tests.conftest import csrf_token
from tests.console.compliance.helpers import enrol, ingest, report

HOST = "dtnmt-av-01"
SECTIONS = {
    "health": {"cpu_percent": 5.0, "cpu_count": 2, "load_average": [0.1, 0.1, 0.1], "memory_used_percent": 40.0,
               "memory_total_bytes": 2147483648, "swap_total_bytes": 0, "swap_used_percent": 0.0,
               "boot_time": "2026-01-01T00:00:00+00:00",
               "disks": [{"mount": "/", "total_bytes": 100, "used_bytes": 91, "percent": 91.0}],
               "services": [{"name": "clamav-freshclam", "running": False}], "clock_offset_seconds": 0.0},
    "ups": [{"name": "ups-dc-01", "reachable": True, "status_flags": ["OB", "DISCHRG"]}],
    "antivirus": [{"provider": "clamav", "installed": True, "running": False}],
}
ENGLISH = ["a disk is 91% full", "service clamav-freshclam is not running", "UPS ups-dc-01 is on battery",
           "antivirus clamav is not running"]
VIETNAMESE = ["một ổ đĩa đã đầy 91%", "dịch vụ clamav-freshclam không chạy",
              "bộ lưu điện ups-dc-01 đang chạy bằng pin", "phần mềm phòng chống mã độc clamav không chạy"]


def _warned(session_factory):
    ingest(session_factory, enrol(session_factory, HOST), report(HOST, **SECTIONS))


def _status_title(page: str, host: str) -> str:
    row = re.search(rf'<tr><td><a href="/hosts/{host}">.*?</tr>', page, re.S).group(0)
    title = html_lib.unescape(re.search(r'data-testid="host-status" title="([^"]*)"', row).group(1))
    return title.replace("\u2068", "").replace("\u2069", "")  # the Unicode isolates around each name


def _warnings_line(page: str) -> str:
    line = re.search(r'data-testid="host-warnings">(.*?)</p>', page).group(1)
    return html_lib.unescape(re.sub(r"</?bdi>", "", line))  # each name in its own <bdi>


def test_warnings_are_codes_with_an_english_text(session_factory, synced):
    _warned(session_factory)
    with session_factory() as session:
        from console.inventory.hosts import get_host

        reasons = host_reports.condition(session, get_host(session, HOST)).reasons
    assert [r.code for r in reasons] == ["disk_full", "service_not_running", "ups_on_battery",
                                         "antivirus_not_running"]
    assert [r.text for r in reasons] == ENGLISH


def test_hosts_list_and_host_page_show_the_warnings_in_english_and_vietnamese(logged_in, session_factory, synced):
    _warned(session_factory)
    client = logged_in("auditor")
    listing = client.get("/hosts/").get_data(as_text=True)
    assert _status_title(listing, HOST) == "; ".join(ENGLISH)
    assert _warnings_line(client.get(f"/hosts/{HOST}").get_data(as_text=True)) == "; ".join(ENGLISH)

    client.post("/language", data={"locale": "vi", "csrf_token": csrf_token(listing)})
    listing = client.get("/hosts/").get_data(as_text=True)
    assert _status_title(listing, HOST) == "; ".join(VIETNAMESE)
    page = client.get(f"/hosts/{HOST}").get_data(as_text=True)
    assert _warnings_line(page) == "; ".join(VIETNAMESE)
    assert "is not running" not in page and "is on battery" not in page


def test_a_stale_host_says_so_in_vietnamese(logged_in, session_factory, synced):
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import update

    from console.models import Agent

    agent = enrol(session_factory, HOST)
    ingest(session_factory, agent, report(HOST))
    with session_scope(session_factory) as session:
        session.execute(update(Agent).where(Agent.id == agent)
                        .values(last_seen_at=datetime.now(timezone.utc) - timedelta(hours=2)))
    client = logged_in("auditor")
    page = client.get(f"/hosts/{HOST}").get_data(as_text=True)
    assert _warnings_line(page) == "no report for 3 intervals"
    client.post("/language", data={"locale": "vi", "csrf_token": csrf_token(page)})
    assert _warnings_line(client.get(f"/hosts/{HOST}").get_data(as_text=True)) == "không có báo cáo trong 3 chu kỳ"


def test_api_gives_the_english_text_and_a_stable_code(client, make_user, session_factory, synced):
    _warned(session_factory)
    make_user("watch", "auditor")
    with session_scope(session_factory) as session:
        _row, token = tokens.create_token(session, Actor("watch", Role.auditor), "t", None, 1)
    response = client.get(f"/api/v1/hosts/{HOST}/reports?hours=1", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    data = response.json["data"]
    assert data["status"] == "warning"
    assert data["reasons"] == ENGLISH
    assert [w["code"] for w in data["warnings"]] == ["disk_full", "service_not_running", "ups_on_battery",
                                                     "antivirus_not_running"]
    assert [w["text"] for w in data["warnings"]] == ENGLISH
    assert data["warnings"][3]["params"] == {"name": "clamav"}
