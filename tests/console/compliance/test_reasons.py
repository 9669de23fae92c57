"""A result's reason reads as a sentence in the reader's language: pages, the run report, the dossier rows.

The stored `why` stays English (CLI, JUnit, API); its parts are kept beside
it and said again in Vietnamese from the catalogue.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from console.access.actor import Actor
from console.compliance import reasons, runs
from console.compliance.catalog import load_catalog
from console.compliance.conditions import compile_condition, reason_data
from console.compliance.history import iter_results
from console.compliance.reports import html as report_html
from console.db import session_scope
from console.models import User
from tests.conftest import login
from tests.console.compliance.helpers import enrol, ingest, report

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)
STOPPED_CLAMAV = [{"provider": "clamav", "product": "ClamAV", "installed": True, "running": False, "realtime_protection": False,
                   "signature_date": (datetime.now(timezone.utc) - timedelta(days=3)).isoformat()}]


def said(condition: dict, data: dict, language: str) -> tuple[bool | None, str]:
    ok, why = compile_condition(condition)(data, NOW)
    return ok, reasons.say(why, reason_data(why), language)


def test_a_stopped_antivirus_reads_as_a_sentence_in_both_languages():
    condition = {"field": "antivirus", "op": "any",
                 "where": {"all": [{"field": "installed", "op": "eq", "value": True},
                                   {"field": "running", "op": "eq", "value": True}]}}
    assert said(condition, {"antivirus": STOPPED_CLAMAV}, "en") == (False, "antivirus ClamAV: running: no, required: yes")
    assert said(condition, {"antivirus": STOPPED_CLAMAV}, "vi") == (
        False, "phần mềm diệt virus ClamAV: đang chạy: không, yêu cầu: có")


@pytest.mark.parametrize("condition, data, vi", [
    ({"field": "signature_date", "op": "age_lte", "value": "24h"},
     {"signature_date": (NOW - timedelta(days=3)).isoformat()},
     "ngày cơ sở dữ liệu mẫu virus: cách đây 3 ngày, yêu cầu: tối đa 24 giờ"),
    ({"field": "firewall.input_policy", "op": "in", "value": ["drop", "reject"]},
     {"firewall": {"input_policy": "accept"}}, "chính sách đầu vào của tường lửa: accept, yêu cầu: một trong ['drop', 'reject']"),
    ({"field": "sshd.permit_root_login", "op": "eq", "value": "no"}, {}, "đăng nhập root qua SSH: không được báo cáo"),
    ({"field": "health.disks", "op": "all", "where": {"field": "percent", "op": "lte", "value": 90}},
     {"health": {"disks": [{"mount": "/", "percent": 40}, {"mount": "/var", "percent": 97}]}},
     "ổ đĩa /var: tỷ lệ (%): 97, yêu cầu: ≤ 90"),
    ({"not": {"field": "enabled", "op": "eq", "value": True}}, {"enabled": True},
     "không phải (đang bật: có (có))"),
])
def test_each_kind_of_reason_in_vietnamese(condition, data, vi):
    assert said(condition, data, "vi")[1] == vi


def test_a_reason_without_parts_is_shown_as_stored_or_from_the_catalogue():
    assert reasons.say("something the old engine wrote", None, "vi") == "something the old engine wrote"
    assert reasons.say("no report from this host's agent yet", None, "vi") == \
        "chưa có báo cáo nào từ tác tử của máy chủ này"
    assert reasons.say("text kept", {"k": "from the future"}, "vi") == "text kept"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_control_page_and_the_run_report_give_the_reason_in_vietnamese(client, session_factory, synced,
                                                                          make_user):
    ingest(session_factory, enrol(session_factory, "dtnmt-ids-01"), report("dtnmt-ids-01", antivirus=STOPPED_CLAMAV))
    catalog = load_catalog()
    run_id = runs.execute(session_factory, Actor.cli(), catalog).run_id
    with session_factory() as session:
        row = next(r for r in iter_results(session, run_id) if (r.control_id, r.target) == ("EP-AV-02", "dtnmt-ids-01"))
        assert (row.result, row.why) == ("fail", "antivirus no item of 1 holds: running = False (want = True)")
        vi_report = report_html(session, run_id, catalog, "vi", "Asia/Ho_Chi_Minh")
        en_report = report_html(session, run_id, catalog, "en", "Asia/Ho_Chi_Minh")
    assert "phần mềm diệt virus ClamAV: đang chạy: không, yêu cầu: có" in vi_report
    assert "antivirus ClamAV: running: no, required: yes" in en_report

    make_user("mai", "auditor")
    with session_scope(session_factory) as db:
        db.execute(update(User).where(User.username == "mai").values(locale="vi"))
    login(client, "mai")
    page = client.get("/compliance/controls/EP-AV-02").get_data(as_text=True)
    assert "phần mềm diệt virus ClamAV: đang chạy: không, yêu cầu: có" in page
    assert "want = True" not in page
