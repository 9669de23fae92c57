"""Incidents: escalated from an alert or a finding with its detection time; 24 h / 72 h deadlines; the notice text."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from console.db import session_scope
from console.errors import PermissionDenied, ValidationFailed
from console.models import Alert, AuditEvent, ComplianceResult
from console.compliance import runs as compliance_runs
from console.incidents import service as incidents
from console.access.actor import Actor
from tests.console.compliance import estate

DETECTED = datetime(2026, 11, 20, 8, 30, tzinfo=timezone.utc)


def alert(session, **changes) -> Alert:
    values = dict(event_at=DETECTED, sensor="dtnmt-ids-01", gid=1, sid=2024001, rev=1,
                  signature="ET EXPLOIT Possible land portal SQL injection", category="Web Application Attack",
                  severity=1, src_ip="203.0.113.7", src_port=51515, dest_ip="198.18.50.1", dest_port=443, proto="TCP",
                  flow_id=1, app_proto="http", group_key="g1", record="{}")
    row = Alert(**(values | changes))
    session.add(row)
    session.flush()
    return row


def test_an_alert_escalated_keeps_its_detection_time_and_its_system(session, tmp_path, session_factory, admin_actor):
    estate.build(tmp_path, session_factory)
    incident = incidents.escalate_alert(session, admin_actor, alert(session).id)
    assert incident.detected_at == DETECTED and incident.system_key == "system_procedures"
    assert incident.source_ref.startswith("alert:") and "203.0.113.7:51515 -> 198.18.50.1:443" in incident.description
    due = {d.kind: d.due for d in incidents.deadlines(incident)}
    assert due == {"first_notice": DETECTED + timedelta(hours=24), "full_report": DETECTED + timedelta(hours=72)}
    assert session.query(AuditEvent).filter_by(action="incidents.open").count() == 1


def test_overdue_notices_are_listed_until_they_are_recorded_as_sent(session, admin_actor):
    incident = incidents.open_incident(session, admin_actor, "Mã độc trên máy chủ một cửa", DETECTED)
    minor = incidents.open_incident(session, admin_actor, "Quét cổng từ bên ngoài", DETECTED, serious=False)
    at_30h = DETECTED + timedelta(hours=30)
    assert [i.id for i in incidents.list_incidents(session, overdue_only=True, now=at_30h)] == [incident.id]
    assert [d.overdue(at_30h) for d in incidents.deadlines(incident)] == [True, False]
    assert incidents.deadlines(minor) == []
    incidents.record_sent(session, admin_actor, incident.id, "first_notice", DETECTED + timedelta(hours=26))
    assert incidents.list_incidents(session, overdue_only=True, now=at_30h) == []
    at_80h = DETECTED + timedelta(hours=80)
    state = incidents.incident_as_dict(incident, now=at_80h)["deadlines"]
    assert [(d["kind"], d["overdue"], d["late"]) for d in state] == [("first_notice", False, True),
                                                                     ("full_report", True, False)]


def test_the_notice_text_is_written_from_the_incidents_data(session, tmp_path, session_factory, admin_actor):
    estate.build(tmp_path, session_factory)
    incident = incidents.escalate_alert(session, admin_actor, alert(session).id)
    text = incidents.notice_text(session, incident, "first_notice", "vi", "Asia/Ho_Chi_Minh")
    assert text.startswith("THÔNG BÁO BAN ĐẦU VỀ SỰ CỐ AN NINH MẠNG NGHIÊM TRỌNG\nKính gửi: Bộ Công an")
    assert "Điều 31.2.d" in text and "Thời điểm phát hiện: 2026-11-20 15:30 (Asia/Ho_Chi_Minh)" in text
    assert "Hệ thống thủ tục hành chính đất đai (cấp độ 3)" in text
    assert "Hạn thông báo ban đầu: 2026-11-21 15:30; hạn báo cáo đầy đủ: 2026-11-23 15:30" in text
    english = incidents.notice_text(session, incident, "full_report", "en", "UTC")
    assert english.startswith("FULL REPORT OF A SERIOUS CYBERSECURITY INCIDENT") and "(level 3)" in english


def test_a_failed_finding_escalates_with_its_runs_time(session_factory, tmp_path, admin_actor):
    estate.build(tmp_path, session_factory)
    estate.firewall(session_factory, "office-dms-01", "accept", "drop")
    run_id = compliance_runs.execute(session_factory, Actor.cli(), estate.catalog(tmp_path)).run_id
    with session_scope(session_factory) as session:
        failed = session.query(ComplianceResult).filter_by(run_id=run_id, result="fail").one()
        incident = incidents.escalate_finding(session, admin_actor, failed.id)
        assert incident.title == "FW-02 fail on office-dms-01" and incident.system_key == "system_documents"


@pytest.mark.parametrize("change, field", [
    ({"detected_at": None}, "detected_at"),
    ({"detected_at": datetime(2026, 11, 20, 8, 30)}, "detected_at"),
    ({"detected_at": datetime(2099, 1, 1, tzinfo=timezone.utc)}, "detected_at"),
    ({"title": "x"}, "title"),
    ({"system_key": "system_nowhere"}, "system_key"),
])
def test_an_incident_without_a_valid_detection_time_or_title_is_refused(session, admin_actor, change, field):
    values = {"title": "Sự cố", "detected_at": DETECTED} | change
    with pytest.raises(ValidationFailed) as raised:
        incidents.open_incident(session, admin_actor, **values)
    assert raised.value.field == field


def test_auditors_may_not_open_incidents(session, auditor_actor):
    with pytest.raises(PermissionDenied):
        incidents.open_incident(session, auditor_actor, "Sự cố", DETECTED)


def test_cli_opens_lists_overdue_prints_the_notice_and_records_it_sent(config_file, session_factory):
    from tests.console.compliance.helpers import ops

    opened = ops(config_file, "incidents", "open", "--title", "Mã độc trên máy chủ một cửa",
                 "--detected-at", "2026-11-20T15:30+07:00")
    assert opened.exit_code == 0, opened.output
    assert "first_notice  due 2026-11-21T08:30:00+00:00" in opened.stdout
    assert "OVERDUE" in ops(config_file, "incidents", "list", "--overdue").stdout
    notice = ops(config_file, "incidents", "notice", "1")
    assert "Tên sự cố: Mã độc trên máy chủ một cửa" in notice.stdout and "Bộ Công an" in notice.stdout
    assert ops(config_file, "incidents", "sent", "1", "--at", "2026-11-21T10:00+07:00").exit_code == 0
    listed = ops(config_file, "incidents", "list", "--json").stdout
    assert '"done_at": "2026-11-21T03:00:00+00:00"' in listed
    undated = ops(config_file, "incidents", "open", "--title", "Không rõ thời điểm")
    assert undated.exit_code == 1 and "detected_at: required" in undated.output


def test_incidents_page_shows_overdue_notices_and_the_notice_text_and_records_sent(logged_in, session_factory):
    from tests.conftest import csrf_token

    officer = logged_in("security_officer")
    page = officer.get("/incidents/").get_data(as_text=True)
    opened = officer.post("/incidents/", data={"csrf_token": csrf_token(page), "title": "Mã độc trên máy chủ một cửa",
                                               "detected_at": "2026-11-20T15:30", "serious": "y", "system_key": ""})
    assert opened.status_code == 302, opened.get_data(as_text=True)
    listed = officer.get("/incidents/").get_data(as_text=True)
    assert 'data-deadline="first_notice" data-state="overdue"' in listed
    detail = officer.get(opened.headers["Location"]).get_data(as_text=True)
    assert "FIRST NOTICE OF A SERIOUS CYBERSECURITY INCIDENT" in detail and "Mã độc trên máy chủ một cửa" in detail
    assert officer.post(opened.headers["Location"] + "/sent/first_notice",
                        data={"csrf_token": csrf_token(detail)}).status_code == 302
    after = officer.get("/incidents/").get_data(as_text=True)
    assert 'data-deadline="first_notice" data-state="late"' in after
    assert 'data-deadline="full_report" data-state="overdue"' in after
    undated = officer.post("/incidents/", data={"csrf_token": csrf_token(after), "title": "Không rõ thời điểm"})
    assert undated.status_code == 400 and "detected_at: required" in undated.get_data(as_text=True)


def test_an_auditor_sees_incidents_but_may_not_open_one(logged_in):
    from tests.conftest import csrf_token

    auditor = logged_in("auditor")
    page = auditor.get("/incidents/").get_data(as_text=True)
    assert 'data-testid="incident-form"' not in page
    refused = auditor.post("/incidents/", data={"csrf_token": csrf_token(auditor.get("/compliance/runs/")
                                                                          .get_data(as_text=True)),
                                                "title": "Sự cố", "detected_at": "2026-11-20T15:30"})
    assert refused.status_code == 403


def test_an_officer_escalates_an_alert_group_from_its_page_with_the_first_alerts_time(logged_in, session_factory,
                                                                                      tmp_path):
    from console.models import AlertGroup, Incident
    from tests.conftest import csrf_token

    estate.build(tmp_path, session_factory)
    with session_scope(session_factory) as session:
        alert(session, event_at=DETECTED + timedelta(hours=2))
        alert(session)
        group = AlertGroup(group_key="g1", gid=1, sid=2024001, signature="ET EXPLOIT Possible land portal SQL injection",
                           category="Web Application Attack", severity=1, src_ip="203.0.113.7", dest_ip="198.18.50.1",
                           src_key="cb007107", dest_key="c6123201", first_seen=DETECTED,
                           last_seen=DETECTED + timedelta(hours=2), count=2)
        session.add(group)
        session.flush()
        group_id = group.id
    officer = logged_in("security_officer")
    page = officer.get(f"/alerts/groups/{group_id}").get_data(as_text=True)
    assert 'data-testid="escalate"' in page
    done = officer.post("/incidents/escalate", data={"csrf_token": csrf_token(page), "alert_id": _hidden(page),
                                                     "serious": "y"})
    assert done.status_code == 302, done.get_data(as_text=True)
    with session_factory() as session:
        incident = session.query(Incident).one()
        assert incident.detected_at == DETECTED and incident.system_key == "system_procedures"


def _hidden(page: str) -> str:
    import re

    return re.search(r'name="alert_id" value="(\d+)"', page).group(1)
