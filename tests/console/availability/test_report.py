"""The monthly report's figures match the outages the test made against real servers, to the minute; maintenance
is left out of the month; the months before and the time to recover; CSV, HTML and PDF (Vietnamese and English)
are written whole; `ops availability report --month`; the month that ended is filed once, listed and served on the
Reports page and the API, and filed on demand as a task."""

from __future__ import annotations

import csv
import subprocess
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from console.access.actor import Actor
from console.availability import report, runner
from console.compliance import runs as compliance_runs
from console.compliance import waivers
from console.compliance.catalog import load_catalog
from console.compliance.evidence import services as service_evidence
from console.compliance.reasons import say_row
from console.db import make_session_factory
from console.errors import ValidationFailed
from console.models.compliance import ComplianceResult
from console.settings import load_settings
from tests.conftest import csrf_token
from tests.console.availability.certs import NOW
from tests.console.availability.test_outages import DROP_ALL, NOTIFY, services
from tests.console.cli.test_cli import ops
from tests.console.compliance.test_console import api_token
from tests.console.tasks.fixtures import task_id_of, task_worker, wait_task  # noqa: F401

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


def test_the_month_against_the_months_before_and_the_time_to_recover(session_factory, settings, outage):
    with session_factory() as session:
        figures = report.monthly(session, settings, date(2026, 12, 1), now=datetime(2026, 12, 3, tzinfo=timezone.utc))
    assert figures["months_before"] == ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    proxy = next(item for item in figures["services"] if item["name"] == "proxy")
    # November as its own report has it (99.79 %); the months before the first check (10 November) have no data
    assert [(h["month"], h["uptime_percent"]) for h in proxy["history"]] == [
        ("2026-07", None), ("2026-08", None), ("2026-09", None), ("2026-10", None), ("2026-11", 99.79)]
    assert proxy["history"][-1]["met"] is True and proxy["uptime_percent"] == 100.0 and proxy["change"] == 0.21
    assert proxy["mean_recover_minutes"] is None  # no outage in December
    with session_factory() as session:
        november = report.monthly(session, settings, date(2026, 11, 1), now=datetime(2026, 12, 3, tzinfo=timezone.utc))
    by_name = {item["name"]: item for item in november["services"]}
    assert by_name["proxy"]["mean_recover_minutes"] == 90.0 and by_name["proxy"]["change"] is None
    html = report.html(figures, "vi")
    assert 'data-testid="history-proxy-2026-11">99.79 %</td>' in html
    assert 'data-testid="history-proxy-2026-10">không có dữ liệu</td>' in html
    assert 'data-testid="change-proxy">+0.21</td>' in html and "So với các tháng trước" in html


@pytest.mark.sqlite_only  # the same figures on both databases are the tests above; this one is WeasyPrint's
def test_pdf_in_vietnamese_and_english(config_file, tmp_path, outage):
    for language, title in (("vi", "Báo cáo tính sẵn sàng 2026-11"), ("en", "Availability report 2026-11")):
        out = tmp_path / f"availability-2026-11.{language}.pdf"
        result = ops("availability", "report", "--month", "2026-11", "--format", "pdf", "--language", language,
                     "--output", str(out), config=config_file)
        assert result.returncode == 0, result.stderr
        assert out.read_bytes().startswith(b"%PDF-")
        text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert title in text and "99.79 %" in text and "2026-11-10" in text and "10:00" in text  # a cell may wrap


def test_the_month_that_ended_is_filed_once_and_the_reports_page_lists_and_serves_it(
        config_file, session_factory, outage, logged_in, make_user):
    from console.availability.schedule import scheduled_availability_report

    from console.tasks import work

    settings = load_settings(config_file)
    try:
        task = scheduled_availability_report(settings, today=date(2026, 12, 1))
        assert task.state.value == "done", task.error
        assert task.result == {"month": "2026-11", "files": [
            "availability-2026-11.vi.html", "availability-2026-11.en.html", "availability-2026-11.vi.pdf",
            "availability-2026-11.en.pdf", "availability-2026-11.csv"]}
        assert scheduled_availability_report(settings, today=date(2026, 12, 1)) is None  # claimed once
    finally:
        work.forget(settings)  # the task queue's engine for these settings, closed with the test
    folder = settings.compliance.report_dir / "availability"
    assert sorted(path.name for path in folder.iterdir()) == sorted(task.result["files"])  # no temporary left
    client = logged_in("auditor")
    page = client.get("/availability/reports/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-testid="month-2026-11"' in html
    assert 'data-testid="file-report"' not in html  # an auditor reads, does not file
    pdf = client.get("/availability/reports/availability-2026-11.vi.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF-")
    for name in ("..%2F..%2Fops.toml", "availability-2026-11.vi.exe", "ops.toml", "availability-2026-10.csv"):
        assert client.get(f"/availability/reports/{name}").status_code == 404, name
    listed = client.get("/api/v1/availability-reports", headers=api_token(make_user, session_factory, "auditor"))
    assert listed.status_code == 200
    assert [(f["format"], f["language"]) for f in listed.get_json()["data"][0]["files"]] == [
        ("html", "vi"), ("html", "en"), ("pdf", "vi"), ("pdf", "en"), ("csv", "")]


def test_file_now_is_a_task_for_those_who_may_run_compliance(config_file, client, session_factory, logged_in,
                                                             make_user, outage, task_worker):  # noqa: F811
    auditor = api_token(make_user, session_factory, "auditor")
    assert client.post("/api/v1/availability-reports", json={"month": "2026-11"}, headers=auditor).status_code == 403
    logged_in("it_staff")
    token = csrf_token(client.get("/availability/reports/").get_data(as_text=True))
    bad = client.post("/availability/reports/", data={"csrf_token": token, "month": "2026-13"}, follow_redirects=True)
    assert "not a month: use YYYY-MM" in bad.get_data(as_text=True)
    filed = client.post("/availability/reports/", data={"csrf_token": token, "month": "2026-11"})
    assert filed.status_code == 302 and "/tasks/" in filed.headers["Location"]
    task = wait_task(session_factory, task_id_of(filed.headers["Location"]))
    assert task.state.value == "done" and len(task.result["files"]) == 5, task.error
    officer = api_token(make_user, session_factory, "security_officer")
    queued = client.post("/api/v1/availability-reports", json={"month": "2026-10"}, headers=officer)
    assert queued.status_code == 202 and queued.headers["Location"] == queued.get_json()["data"]["status_url"]
    refused = client.post("/api/v1/availability-reports", json={"month": "10000-01"}, headers=officer)
    assert refused.status_code == 400 and "month" in refused.get_data(as_text=True)


def test_the_controls_on_services_judge_the_certificate_and_the_months_downtime_against_its_target(
        config_file, session_factory, servers):
    """AV-CERT-01 fails the service whose certificate has 5 days left (the last warning step is 7); AV-SLA-01 fails
    the proxy, down 11 minutes with a target of 99.99 % (a budget of about 4.4 minutes in a month), and passes the
    services behind it (99.5 %: over 200 minutes). Waivers may name a service; an unknown target is refused."""
    config_file.write_text(config_file.read_text().replace('name = "proxy"\n',
                                                           'name = "proxy"\nsla_target_percent = 99.99\n', 1))
    settings = load_settings(config_file)
    net, _ = servers
    local = NOW.astimezone(ZoneInfo(settings.console.timezone))
    month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    at = max(NOW, month_start + timedelta(hours=1)).astimezone(timezone.utc)  # the outage inside this month
    runner.run_due(session_factory, settings, at - timedelta(minutes=13))
    net.nft(DROP_ALL)
    try:
        runner.run_due(session_factory, settings, at - timedelta(minutes=12))
        runner.run_due(session_factory, settings, at - timedelta(minutes=11))  # down after its second failure
    finally:
        net.nft("flush ruleset")
    runner.run_due(session_factory, settings, at)

    factory = make_session_factory(session_factory.kw["bind"], settings)  # sessions carry this test's ops.toml
    run_id = compliance_runs.execute(factory, Actor.cli(), load_catalog(), now=at).run_id
    with factory() as session:
        rows = session.scalars(select(ComplianceResult).where(
            ComplianceResult.run_id == run_id, ComplianceResult.control_id.in_(("AV-CERT-01", "AV-SLA-01")))).all()
        results = {(row.control_id, row.target): row for row in rows}
    services = ("proxy", "portal", "one-stop", "land-db", "cert")
    assert {(control, target) for control, target in results} == {
        (control, f"service:{name}") for control in ("AV-CERT-01", "AV-SLA-01") for name in services}
    failed = {key for key, row in results.items() if row.result == "fail"}
    assert failed == {("AV-CERT-01", "service:cert"), ("AV-SLA-01", "service:proxy")}, {
        key: row.why for key, row in results.items()}
    assert all(row.result == "pass" for key, row in results.items() if key not in failed)
    cert, proxy = results[("AV-CERT-01", "service:cert")], results[("AV-SLA-01", "service:proxy")]
    assert cert.evidence == {"certificate_state": "expiring"} and proxy.evidence == {"sla_state": "missed"}
    assert cert.evidence_at == proxy.evidence_at == at  # as old as the service's newest check
    with factory() as session:
        _targets, found = service_evidence.load(session, at)  # what the controls read, with its figures
    assert (found["service:cert"].snapshot["certificate_days_left"],
            found["service:cert"].snapshot["certificate_min_days"]) == (5, 7)
    figures = found["service:proxy"].snapshot
    assert (figures["down_minutes"], figures["sla_target_percent"]) == (11, 99.99)
    assert figures["downtime_budget_minutes"] < 5 and "certificate_state" not in figures  # no TLS check
    assert say_row(cert, "vi") == ("không phải (chứng thư TLS: có báo cáo); "
                                   "chứng thư TLS: sắp hết hạn, yêu cầu: đạt")
    assert say_row(proxy, "en") == "month against the SLA target: missed, required: met"
    assert say_row(proxy, "vi") == "tháng so với mức cam kết SLA: không đạt cam kết, yêu cầu: đạt cam kết"
    with factory() as session:
        waiver = waivers.create(session, Actor.cli(), load_catalog(), "AV-CERT-01", "service:cert",
                                "gia hạn đang chờ nhà cung cấp", at + timedelta(days=3))
        assert waiver.target == "service:cert"
        for unknown in ("service:nope", "no-such-device"):
            with pytest.raises(ValidationFailed, match="no active host, device, endpoint or service"):
                waivers.create(session, Actor.cli(), load_catalog(), "AV-CERT-01", unknown, "không có",
                               at + timedelta(days=3))
        session.rollback()
