"""An agent ships its Lynis results and pending security updates; the console keeps, shows and judges them.

The Lynis results are the recorded report file of a real run
(tests/probes/data/lynis-report-debian12.dat) read by the agent's own parser;
the updates come from this machine's real apt lists. The agent sends them to
a live console over loopback, as it does on a host.
"""

from __future__ import annotations

import io
import json
import re
import sys
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from console.access.actor import Actor
from console.agents import enrolment as agent_service
from console.agents import hardening
from console.compliance import reports
from console.compliance import runs as compliance_runs
from console.compliance.catalog import load_catalog
from console.db import session_scope
from console.models import AuditEvent, ComplianceResult
from console.models.agents import HostFinding, LynisRun
from probes.agent import Agent, enroll
from probes.collectors.lynis import parse_report
from probes.collectors.updates import SEEN_FILE, UpdatesCollector
from probes.config import AgentSettings
from tests.conftest import csrf_token
from tests.probes.test_lynis_report import recorded

HOST = "dtnmt-web-01"


class RecordedLynis:
    """The agent's Lynis section from the recorded real report, once (as after one run), then nothing."""

    name = "lynis"

    def __init__(self, text: str | None = None, index: int | None = None):
        self.section = parse_report(text or recorded())
        if index is not None:
            self.section["hardening_index"] = index
            self.section["finished_at"] = datetime.now(timezone.utc).isoformat()
        self.section.update(exit_code=0, cpu_seconds=41.6, duration_seconds=41.2)

    def collect(self):
        section, self.section = self.section, None
        return section


@pytest.fixture
def shipping_agent(live_server, session_factory, synced, tmp_path):
    with session_scope(session_factory) as db:
        _row, token = agent_service.create_enrollment_token(db, Actor.cli(), HOST, hours=1)
    settings = AgentSettings(state_dir=tmp_path / "agent", host_name=HOST, interval_seconds=60)
    enroll(settings, live_server.url, token)

    def make(*collectors):
        return Agent(settings, list(collectors))

    return make


def fresh_lynis():
    """The recorded run, as if it had just ended (the controls accept a run at most 3 days old)."""
    collector = RecordedLynis()
    collector.section["finished_at"] = datetime.now(timezone.utc).isoformat()
    return collector


def host_id(session) -> int:
    from console.inventory.hosts import active_host

    return active_host(session, HOST).id


@pytest.mark.external  # reads this machine's apt cache in a child process (python-apt)
def test_agent_ships_lynis_and_updates_once_and_the_console_keeps_them(shipping_agent, session_factory, tmp_path):
    updates = UpdatesCollector(tmp_path / "agent", python=sys.executable)
    agent = shipping_agent(fresh_lynis(), updates)
    assert agent.run_once().sent == 1
    assert agent.run_once().sent == 1  # the next report carries neither section
    with session_factory() as db:
        run = db.scalars(select(LynisRun)).one()
        assert (run.hardening_index, run.lynis_version, run.warning_count, run.suggestion_count) == (57, "3.0.8", 3, 42)
        found = hardening.findings(db, host_id(db))
        assert [f.test_id for f in found if f.kind == "warning"] == ["FIRE-4512", "LOGG-2138", "PKGS-7392"]
        assert [f.test_id for f in hardening.findings(db, host_id(db), search="password")] == [
            "AUTH-9230", "AUTH-9262", "AUTH-9286", "AUTH-9286"]
        checked = hardening.security_updates(db, host_id(db))
        assert checked.source == "apt-get" and checked.apt_updated_at is not None
        assert checked.pending_count == len(checked.packages) + checked.dropped_packages


def test_a_new_run_replaces_the_findings_and_extends_the_trend(shipping_agent, session_factory):
    shipping_agent(fresh_lynis()).run_once()
    fewer = "\n".join(line for line in recorded().splitlines() if not line.startswith("warning[]=FIRE"))
    shipping_agent(RecordedLynis(fewer, index=64)).run_once()
    with session_factory() as db:
        assert [index for _at, index in hardening.index_trend(db, host_id(db))] == [57, 64]
        assert db.scalar(select(func.count(HostFinding.id)).where(HostFinding.kind == "warning")) == 2
        top = hardening.estate_findings(db)[0]
        assert (top.host_count, top.hosts) == (1, (HOST,))


def run_controls(session_factory) -> dict[str, ComplianceResult]:
    outcome = compliance_runs.execute(session_factory, Actor.cli(), load_catalog())
    with session_factory() as db:
        rows = db.scalars(select(ComplianceResult).where(ComplianceResult.run_id == outcome.run_id,
                                                         ComplianceResult.target == HOST)).all()
        db.expunge_all()
    return outcome.run_id, {row.control_id: row for row in rows}


@pytest.mark.external  # reads this machine's apt cache in a child process (python-apt)
def test_controls_judge_the_index_the_warnings_and_the_pending_updates(shipping_agent, session_factory, tmp_path):
    state = tmp_path / "agent"
    updates = UpdatesCollector(state, python=sys.executable)
    shipping_agent(fresh_lynis(), updates).run_once()
    run_id, results = run_controls(session_factory)
    assert results["SRV-06"].result == "pass"  # 57 >= the default 55
    assert results["SRV-07"].result == "fail" and "PKGS-7392" in results["SRV-07"].why
    pending = results["SRV-08"]
    assert pending.result == "pass", pending.why  # whatever is pending was first seen just now
    with session_factory() as db:
        junit = io.StringIO()
        reports.render(db, run_id, load_catalog(), "junit", junit)
    assert re.search(r'name="SRV-07[^"]*"[^>]*>.*?PKGS-7392', junit.getvalue(), re.S)

    # Updates pending for 20 days fail; a check without pending ones passes.
    seen = json.loads((state / SEEN_FILE).read_text())
    if seen:
        old = (datetime.now(timezone.utc) - timedelta(days=20)).isoformat()
        (state / SEEN_FILE).write_text(json.dumps({name: old for name in seen}))
        shipping_agent(UpdatesCollector(state, python=sys.executable)).run_once()
        _run, results = run_controls(session_factory)
        assert results["SRV-08"].result == "fail", results["SRV-08"].why


def test_waived_warnings_no_longer_fail_and_every_waiver_is_audited(shipping_agent, session_factory):
    shipping_agent(fresh_lynis()).run_once()
    until = datetime.now(timezone.utc) + timedelta(days=30)
    with session_scope(session_factory) as db:
        for test_id in ("PKGS-7392", "FIRE-4512", "LOGG-2138"):
            hardening.waive(db, Actor.cli(), HOST, test_id, "accepted in the lab until the rebuild", until)
    _run, results = run_controls(session_factory)
    assert results["SRV-07"].result == "pass", results["SRV-07"].why
    with session_factory() as db:
        assert db.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "hardening.waive")) == 3
    from console.errors import NotFound

    with session_scope(session_factory) as db, pytest.raises(NotFound, match="no Lynis finding"):
        hardening.waive(db, Actor.cli(), HOST, "NOPE-0000", "not a finding of this host", until)


def test_host_page_shows_index_and_findings_searchable_and_admin_waives_with_csrf(shipping_agent, logged_in, client):
    shipping_agent(fresh_lynis()).run_once()
    logged_in("admin")
    page = client.get(f"/hosts/{HOST}").get_data(as_text=True)
    assert 'data-testid="hardening-index">57<' in page and "PKGS-7392" in page and "AUTH-9230" in page
    narrowed = client.get(f"/hosts/{HOST}?fq=banner").get_data(as_text=True)
    assert "BANN-7126" in narrowed and "PKGS-7392" not in narrowed
    estate = client.get("/hosts/findings?kind=warning").get_data(as_text=True)
    assert "PKGS-7392" in estate and "AUTH-9230" not in estate
    form = {"csrf_token": csrf_token(page), "test_id": "FIRE-4512", "reason": "no firewall in this namespace",
            "until": (datetime.now() + timedelta(days=10)).strftime("%Y-%m-%d")}
    assert client.post(f"/hosts/{HOST}/findings/waivers", data={**form, "csrf_token": "forged"}).status_code == 400
    answer = client.post(f"/hosts/{HOST}/findings/waivers", data=form)
    assert answer.status_code == 302
    assert "no firewall in this namespace" in client.get(f"/hosts/{HOST}").get_data(as_text=True)


def test_a_run_of_some_test_groups_says_so_on_the_host_page_and_in_the_api(shipping_agent, logged_in, client,
                                                                            token_for):  # noqa: F811
    shipping_agent(fresh_lynis()).run_once()
    logged_in("admin")
    assert 'data-testid="lynis-groups">all (full audit)<' in client.get(f"/hosts/{HOST}").get_data(as_text=True)
    partial = recorded().replace("test_group=all", "test_group=ssh firewalls")
    shipping_agent(RecordedLynis(partial, index=35)).run_once()
    page = client.get(f"/hosts/{HOST}").get_data(as_text=True)
    assert 'data-testid="hardening-index">35<' in page and 'data-testid="lynis-groups">only ssh, firewalls<' in page
    body = client.get(f"/api/v1/hosts/{HOST}/hardening", headers=token_for("auditor")).json["data"]
    assert body["lynis"]["test_groups"] == ["ssh", "firewalls"]


def test_auditor_sees_findings_but_cannot_waive(shipping_agent, logged_in, client):
    shipping_agent(fresh_lynis()).run_once()
    logged_in("auditor")
    page = client.get(f"/hosts/{HOST}").get_data(as_text=True)
    assert "PKGS-7392" in page and 'data-testid="waive-finding"' not in page
    answer = client.post(f"/hosts/{HOST}/findings/waivers", data={"csrf_token": csrf_token(page), "test_id": "FIRE-4512",
                                                                  "reason": "trying anyway", "until": "2099-01-01"})
    assert answer.status_code == 403


def test_a_report_with_a_bad_lynis_section_is_refused_naming_the_field(shipping_agent, session_factory):
    collector = fresh_lynis()
    collector.section["hardening_index"] = 250
    result = shipping_agent(collector).run_once()
    assert result.rejected == 1
    with session_factory() as db:
        assert db.scalar(select(func.count(LynisRun.id))) == 0


def test_api_gives_the_hardening_and_admins_waive_through_it(shipping_agent, client, token_for):  # noqa: F811
    shipping_agent(fresh_lynis()).run_once()
    auditor, admin = token_for("auditor"), token_for("admin")
    body = client.get(f"/api/v1/hosts/{HOST}/hardening?kind=warning", headers=auditor).json["data"]
    assert body["lynis"]["hardening_index"] == 57 and [p["hardening_index"] for p in body["trend"]] == [57]
    assert {f["test_id"] for f in body["findings"]} == {"PKGS-7392", "FIRE-4512", "LOGG-2138"}
    assert client.get(f"/api/v1/hosts/{HOST}/hardening?kind=nope", headers=auditor).status_code == 400
    estate = client.get("/api/v1/hardening/findings?q=vulnerable", headers=auditor).json["data"]
    assert [(f["test_id"], f["host_count"]) for f in estate] == [("PKGS-7392", 1)]
    waiver = {"test_id": "LOGG-2138", "reason": "no klogd in this VM", "expires_at": "2099-01-01T00:00:00+00:00"}
    assert client.post(f"/api/v1/hosts/{HOST}/hardening/waivers", json=waiver, headers=auditor).status_code == 403
    too_far = client.post(f"/api/v1/hosts/{HOST}/hardening/waivers", json=waiver, headers=admin)
    assert too_far.status_code == 400 and too_far.json["errors"][0]["field"] == "expires_at"
    waiver["expires_at"] = (datetime.now(timezone.utc) + timedelta(days=5)).isoformat()
    made = client.post(f"/api/v1/hosts/{HOST}/hardening/waivers", json=waiver, headers=admin)
    assert made.status_code == 201 and made.json["data"]["state"] == "active"
    listed = client.get(f"/api/v1/hosts/{HOST}/hardening?q=LOGG", headers=auditor).json["data"]["findings"]
    assert listed[0]["waiver"]["reason"] == "no klogd in this VM"
    gone = client.delete(f"/api/v1/hosts/{HOST}/hardening/waivers/{made.json['data']['id']}", headers=admin)
    assert gone.json["data"]["state"] == "revoked"
    assert client.delete(f"/api/v1/hosts/dtnmt-db-01/hardening/waivers/{made.json['data']['id']}",
                         headers=admin).status_code == 404
