"""The path end to end: an agent reads this machine's real dpkg status (a Debian 12 host; the lab hosts share
it) and ships it to a live console; the committed excerpt of real tracker data is imported with `ops vulns
import`; the host page, the estate and CVE pages, the API and the CLI show the same CVEs; a waiver is the
admin's alone and is audit-logged."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from console.access.actor import Actor
from console.agents import enrolment as agent_service
from console.cli import main
from console.db import session_scope
from console.inventory.hosts import active_host
from console.compliance import reports
from console.compliance import runs as compliance_runs
from console.compliance.catalog import load_catalog
from console.models import AuditEvent, ComplianceResult, HostReport
from console.models.vulns import HostPackages, HostVuln
from probes.agent import Agent, enroll
from probes.collectors.packages import PackagesCollector
from probes.config import AgentSettings

HOST = "dtnmt-web-01"


@pytest.fixture
def db_url(tmp_path):
    """SQLite only: the path is the same on PostgreSQL, whose writes test_tracker_import covers (time budget)."""
    return f"sqlite:///{tmp_path / 'ops.db'}"
EXCERPT = Path(__file__).resolve().parents[2] / "data" / "debian-security-tracker-excerpt.json"
UNFIXED = {"CVE-2011-4116", "CVE-2022-27943", "CVE-2024-2236", "CVE-2026-1757"}


def test_a_hosts_reported_packages_are_matched_and_shown_everywhere(live_server, session_factory, config_file,
                                                                   tmp_path, logged_in, token_for, client):
    with session_scope(session_factory) as db:
        _row, token = agent_service.create_enrollment_token(db, Actor.cli(), HOST, hours=1)
    settings = AgentSettings(state_dir=tmp_path / "agent", host_name=HOST, interval_seconds=60)
    enroll(settings, live_server.url, token)
    now = [1_000_000.0]
    collector = PackagesCollector(settings.state_dir, interval_minutes=1, clock=lambda: now[0])
    agent = Agent(settings, [collector])
    assert agent.run_once().sent == 1
    with session_scope(session_factory) as db:
        host_id = active_host(db, HOST).id
        row = db.get(HostPackages, host_id)
        assert row.release == "bookworm" and row.package_count > 100 and row.digest == row.reported_digest
        stored = db.scalars(select(HostReport.payload)).one()
        assert "packages" not in stored["packages"]  # the list is kept once, in host_packages
        assert db.scalars(select(HostVuln)).all() == []  # no tracker data yet

    data_day = (datetime.now(timezone.utc) - timedelta(days=1)).date().isoformat()  # as a download of yesterday
    result = CliRunner().invoke(main, ["-c", str(config_file), "vulns", "import", str(EXCERPT), "--date", data_day])
    assert result.exit_code == 0, result.output

    now[0] += 120
    assert agent.run_once().sent == 1  # unchanged: only the digest goes
    with session_scope(session_factory) as db:
        assert {v.cve for v in db.scalars(select(HostVuln).where(HostVuln.host_id == host_id))} == UNFIXED
        assert db.get(HostPackages, host_id).digest == db.get(HostPackages, host_id).reported_digest

    viewer = logged_in("auditor")
    page = viewer.get(f"/hosts/{HOST}").get_data(as_text=True)
    assert 'id="vulnerabilities"' in page and all(cve in page for cve in UNFIXED)
    assert "Debian security tracker data of" in page
    estate = viewer.get("/vulns/?urgency=unimportant").get_data(as_text=True)
    assert all(cve in estate for cve in UNFIXED)
    assert "CVE-2024-2236" not in viewer.get("/vulns/?fixable=yes").get_data(as_text=True)
    assert viewer.get("/vulns/?urgency=bogus").status_code == 400
    assert "CVE-2024-2236" in viewer.get("/vulns/?system=system_land_procedures").get_data(as_text=True)
    assert "CVE-2024-2236" not in viewer.get("/vulns/?system=system_env_monitoring").get_data(as_text=True)
    assert "CVE-2024-2236" not in viewer.get("/vulns/?unit=unit_no_such").get_data(as_text=True)
    assert HOST in viewer.get("/vulns/cves/CVE-2024-2236").get_data(as_text=True)

    api = token_for("auditor")
    answer = client.get(f"/api/v1/vulns/hosts/{HOST}", headers=api).get_json()
    assert {f["cve"] for f in answer["data"]["findings"]} == UNFIXED
    assert answer["data"]["data_status"]["data_date"].startswith(data_day)
    assert client.get("/api/v1/vulns?package=perl", headers=api).get_json()["data"]["cves"][0]["hosts"] == 1
    expires = (datetime.now(timezone.utc) + timedelta(days=30)).isoformat()
    body = {"cve": "CVE-2024-2236", "reason": "RSA decryption not used on this host", "expires_at": expires}
    assert client.post(f"/api/v1/vulns/hosts/{HOST}/waivers", json=body, headers=api).status_code == 403
    admin = token_for("admin")
    assert client.post(f"/api/v1/vulns/hosts/{HOST}/waivers", json=body, headers=admin).status_code == 201
    host_answer = client.get(f"/api/v1/vulns/hosts/{HOST}", headers=api).get_json()["data"]["findings"]
    waived = {f["cve"]: f["waiver"] for f in host_answer}
    assert waived["CVE-2024-2236"]["reason"] == body["reason"] and waived["CVE-2011-4116"] is None
    with session_scope(session_factory) as db:
        assert db.scalar(select(AuditEvent).where(AuditEvent.action == "vulns.waive")) is not None

    cli = CliRunner().invoke(main, ["-c", str(config_file), "vulns", "host", HOST])
    assert cli.exit_code == 0 and "CVE-2024-2236" in cli.output and "waived" in cli.output, cli.output

    # The controls: no high-urgency fix left uninstalled (this host has none), data of yesterday within 7 days,
    # and unknown for hosts without a package list.
    outcome = compliance_runs.execute(session_factory, Actor.cli(), load_catalog())
    with session_scope(session_factory) as db:
        results = {(r.control_id, r.target): r.result for r in db.scalars(
            select(ComplianceResult).where(ComplianceResult.run_id == outcome.run_id,
                                           ComplianceResult.control_id.in_(["SRV-09", "SRV-10"])))}
    assert results[("SRV-09", HOST)] == "pass" and results[("SRV-10", HOST)] == "pass"
    assert results[("SRV-09", "dtnmt-db-01")] == "unknown"
    with session_scope(session_factory) as db:
        report = reports.html(db, outcome.run_id, load_catalog(), "vi")
    assert "Lỗ hổng đã biết" in report and 'data-testid="vulns-report"' in report
    # The trend: today's point, written by the import, the agent's reports and the run, with this host's CVEs.
    assert 'data-testid="vulns-trend"' in report
    assert f"<td>{len(UNFIXED)}</td><td>0</td><td>0</td><td>1</td>" in report


def test_the_data_can_come_from_a_url_with_its_date_from_last_modified(config_file, engine, session_factory, tmp_path):
    """A department that may reach the tracker imports from its URL; here a loopback server plays it."""
    import gzip
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from console.models.vulns import VulnImport

    body = gzip.compress(EXCERPT.read_bytes())

    class Tracker(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            if self.path != "/tracker/data/json":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Last-Modified", "Sat, 05 Dec 2026 08:00:00 GMT")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Tracker)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        result = CliRunner().invoke(main, ["-c", str(config_file), "vulns", "import", f"{base}/tracker/data/json"])
        assert result.exit_code == 0 and "data of 2026-12-05" in result.output, result.output
        missing = CliRunner().invoke(main, ["-c", str(config_file), "vulns", "import", f"{base}/nothing"])
        assert missing.exit_code == 4 and "answered 404" in missing.output, missing.output
    finally:
        server.shutdown()
        server.server_close()
    with session_scope(session_factory) as db:
        assert [row.origin for row in db.scalars(select(VulnImport))] == [f"{base}/tracker/data/json"]
