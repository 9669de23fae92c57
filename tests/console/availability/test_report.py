"""The monthly report's figures match the outages the test made against real servers, to the minute; maintenance
is left out of the month; CSV and HTML (Vietnamese) are written whole; `ops availability report --month`."""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta, timezone

import pytest

from console.availability import report, runner
from console.settings import load_settings
from tests.console.availability.test_outages import DROP_ALL, NOTIFY, services
from tests.console.cli.test_cli import ops

# 10:00 to 11:30 on 10 November 2026 in Hanoi (UTC+7): a month that has ended
DOWN_AT = datetime(2026, 11, 10, 3, 0, tzinfo=timezone.utc)
UP_AT = DOWN_AT + timedelta(minutes=90)
MONTH_MINUTES = 30 * 24 * 60
# Laid over the outage's last 30 minutes afterwards (the report reads windows from ops.toml as they are now).
WINDOW = ('\n[[availability.maintenance]]\nservices = ["portal"]\nreason = "thay ổ đĩa"\n'
          'starts = 2026-11-10T11:00:00\nends = 2026-11-10T11:30:00\n')


@pytest.fixture
def config_file(config_file, servers):
    net, ca = servers
    config_file.write_text(config_file.read_text() + NOTIFY + services(net.address, ca))
    return config_file


@pytest.fixture
def outage(session_factory, settings, servers):
    """The proxy's ports dropped from 09:58 to 11:30: two failures (09:59, 10:00), down at 10:00, up at 11:30."""
    net, _ = servers
    runner.run_due(session_factory, settings, DOWN_AT - timedelta(minutes=2))
    net.nft(DROP_ALL)
    try:
        runner.run_due(session_factory, settings, DOWN_AT - timedelta(minutes=1))
        runner.run_due(session_factory, settings, DOWN_AT)
    finally:
        net.nft("flush ruleset")
    runner.run_due(session_factory, settings, UP_AT)


def test_uptime_outages_and_maintenance_match_what_happened_to_the_minute(config_file, session_factory, outage):
    config_file.write_text(config_file.read_text() + WINDOW)
    settings = load_settings(config_file)
    with session_factory() as session:
        figures = report.monthly(session, settings, date(2026, 11, 1), now=datetime(2026, 12, 3, tzinfo=timezone.utc))
    assert (figures["start"], figures["end"]) == (datetime(2026, 10, 31, 17, tzinfo=timezone.utc),
                                                  datetime(2026, 11, 30, 17, tzinfo=timezone.utc))
    by_name = {item["name"]: item for item in figures["services"]}
    proxy = by_name["proxy"]
    assert (proxy["down_minutes"], proxy["maintenance_minutes"], proxy["measured_minutes"]) == (90, 0, MONTH_MINUTES)
    assert proxy["uptime_percent"] == round(100 * (MONTH_MINUTES - 90) / MONTH_MINUTES, 2) == 99.79
    assert [(o["start"], o["end"], o["minutes"], o["cause"]) for o in proxy["outages"]] == [
        (DOWN_AT, UP_AT, 90, "self")]
    portal = by_name["portal"]  # unreachable behind the proxy; its last 30 minutes were maintenance
    assert (portal["down_minutes"], portal["maintenance_minutes"]) == (60, 30)
    assert portal["uptime_percent"] == round(100 * (MONTH_MINUTES - 30 - 60) / (MONTH_MINUTES - 30), 2) == 99.86
    assert portal["outages"][0]["cause"] == "service:proxy"
    assert by_name["cert"]["uptime_percent"] == 100.0 and by_name["cert"]["outages"] == []
    strict = settings.availability.model_copy(update={"services": [
        s.model_copy(update={"sla_target_percent": 99.9}) if s.name == "proxy" else s
        for s in settings.availability.services]})
    with session_factory() as session:
        missed = report.monthly(session, settings.model_copy(update={"availability": strict}), date(2026, 11, 1),
                                now=datetime(2026, 12, 3, tzinfo=timezone.utc))
    assert [item["met"] for item in missed["services"]] == [False, True, True, True, True]


def test_the_current_month_counts_only_up_to_now_and_an_open_outage_up_to_now(session_factory, settings, servers):
    net, _ = servers
    net.nft(DROP_ALL)
    try:
        for minutes in (0, 1):
            runner.run_due(session_factory, settings, DOWN_AT + timedelta(minutes=minutes))
    finally:
        net.nft("flush ruleset")
    now = DOWN_AT + timedelta(minutes=31)
    with session_factory() as session:
        figures = report.monthly(session, settings, date(2026, 11, 1), now=now)
    proxy = next(item for item in figures["services"] if item["name"] == "proxy")
    assert figures["end"] == now and proxy["outages"][0]["ongoing"] is True and proxy["down_minutes"] == 30


def test_csv_html_and_the_cli_write_the_report(config_file, tmp_path, outage):
    out = tmp_path / "reports" / "availability-2026-11.csv"
    result = ops("availability", "report", "--month", "2026-11", "--format", "csv", "--output", str(out),
                 config=config_file)
    assert result.returncode == 0, result.stderr
    assert "proxy                      99.79 %  1 outages" in result.stdout
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    proxy = [row for row in rows if row["service"] == "proxy"]
    assert [(r["outage_start"], r["outage_end"], r["outage_minutes"], r["cause"]) for r in proxy] == [
        (DOWN_AT.isoformat(), UP_AT.isoformat(), "90.0", "self")]
    page = tmp_path / "availability-2026-11.vi.html"
    result = ops("availability", "report", "--month", "2026-11", "--language", "vi", "--output", str(page),
                 config=config_file)
    assert result.returncode == 0, result.stderr
    html = page.read_text(encoding="utf-8")
    assert "Báo cáo tính sẵn sàng 2026-11" in html and 'data-testid="uptime-proxy">99.79 %' in html
    assert "2026-11-10 10:00" in html and "2026-11-10 11:30" in html  # in the console's zone
    assert "dịch vụ proxy ngừng hoạt động" in html
    bad = ops("availability", "report", "--month", "2026-13", "--output", str(page), config=config_file)
    assert bad.returncode == 2 and "month" in bad.stderr and "Traceback" not in bad.stderr
