"""Issue 29, defects 1-3 and 5: one bad timestamp or field must not take the alert pages down, nor cost unbounded work."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, insert, select

from console.alerts.health import problem_totals
from console.alerts.ingest import ingest_files
from console.db import session_scope
from console.models import Alert, AlertGroup, ContextEvent

LATE = "9999-12-31T23:59:59.000000+0000"


def eve_alert(timestamp: str = "2026-01-01T10:00:00.000000+0000", sid: int = 9906001, **fields) -> bytes:
    record = {"timestamp": timestamp, "event_type": "alert", "src_ip": "198.18.20.10", "src_port": 40000,
              "dest_ip": "198.18.20.44", "dest_port": 80, "proto": "TCP",
              "alert": {"signature_id": sid, "gid": 1, "rev": 1, "signature": "OPS hostile test", "severity": 2}}
    record.update(fields)
    return json.dumps(record).encode()


def _count(factory, model) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("stamp", [LATE, "0001-01-01T00:00:00.000000+0000", "1999-12-31T23:59:59.000000+0000",
                                   "9999-12-31T23:59:59.000000-1200", "0001-01-01T00:00:00.000000+1400"])
def test_eve_line_stamped_outside_the_window_is_counted_not_stored(factory, tmp_path, stamp):
    eve = tmp_path / "eve.json"
    eve.write_bytes(eve_alert(stamp) + b"\n" + eve_alert(sid=9906002) + b"\n")
    totals = ingest_files(factory, [eve], "sensor-a", 50, 65536)
    assert totals.alerts == 1 and totals.problems == {"time_out_of_window": 1}
    with factory() as session:
        assert set(session.scalars(select(Alert.sid))) == {9906002}
        assert problem_totals(session) == {"time_out_of_window": 1}


def test_a_row_stamped_9999_already_stored_does_not_break_the_inbox_or_its_group_page(logged_in, factory):
    """Rows from before the window was enforced: the pages show them (in UTC) instead of answering 500."""
    late = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)
    with session_scope(factory) as session:
        session.execute(insert(Alert).values(
            event_at=late, sensor="sensor-a", gid=1, sid=9906003, rev=1, signature="OPS from year 9999",
            category="", severity=1, src_ip="198.18.20.10", dest_ip="198.18.20.44", proto="TCP", app_proto="", group_key="late",
            record=eve_alert(LATE, 9906003).decode()))
        session.execute(insert(AlertGroup).values(
            group_key="late", gid=1, sid=9906003, signature="OPS from year 9999", category="", severity=1,
            src_ip="198.18.20.10", dest_ip="198.18.20.44", src_key="c612140a", dest_key="c612142c",
            first_seen=late, last_seen=late, count=1, status="new"))
        group_id = session.scalar(select(AlertGroup.id))
    client = logged_in("auditor")
    inbox = client.get("/alerts/")
    assert inbox.status_code == 200 and "OPS from year 9999" in inbox.get_data(as_text=True)
    assert "9999-12-31 23:59:59 UTC" in inbox.get_data(as_text=True)
    page = client.get(f"/alerts/groups/{group_id}")
    assert page.status_code == 200 and "9999-12-31 23:59:59 UTC" in page.get_data(as_text=True)
    assert client.get("/alerts/export.json").status_code == 200


@pytest.mark.parametrize("path", [
    "/api/v1/alerts/groups?since=0001-01-01",
    "/api/v1/alerts/groups?until=9999-12-31T23:59:59-12:00",
    "/api/v1/alerts/groups?since=0001-01-01T00:00:00%2B14:00",
    "/api/v1/audit?since=0001-01-01",
    "/api/v1/audit?until=9999-12-31T23:59:59-12:00",
    "/api/v1/alerts/chart?since=0001-01-01&until=2026-12-01",
    "/api/v1/alerts/chart?since=0001-01-01T00:00:00%2B00:00&until=9999-12-31T00:00:00%2B00:00",
])
def test_extreme_dates_in_api_filters_answer_400_naming_the_field(client, token_for, path):
    response = client.get(path, headers=token_for("auditor"))
    assert response.status_code == 400, response.get_data(as_text=True)
    error = response.get_json()["errors"][0]
    assert error["field"] in ("since", "until") and "2000-01-01" in error["message"]


@pytest.mark.parametrize("path", ["/alerts/?since=0001-01-01", "/alerts/chart.json?until=9999-12-31T23:59:59-12:00",
                                  "/audit/?since=0001-01-01", "/alerts/export.csv?since=9999-12-31"])
def test_extreme_dates_in_page_filters_answer_400(logged_in, path):
    response = logged_in("admin").get(path)
    assert response.status_code == 400 and "2000-01-01" in response.get_data(as_text=True)


def test_the_widest_chart_the_window_allows_stays_within_the_bucket_limit(client, token_for, factory, tmp_path):
    eve = tmp_path / "eve.json"
    eve.write_bytes(eve_alert("2000-01-01T00:30:00.000000+0000") + b"\n" + eve_alert(sid=9906002) + b"\n")
    ingest_files(factory, [eve], "sensor-a", 50, 65536)
    headers = token_for("auditor")
    response = client.get("/api/v1/alerts/chart?since=2000-01-01T00:00:00%2B00:00", headers=headers)
    assert response.status_code == 200
    data = response.get_json()["data"]
    assert len(data["labels"]) <= 500 and data["bucket_seconds"] >= 86400
    assert all(len(series) == len(data["labels"]) for series in data["series"].values())
    assert sum(sum(series) for series in data["series"].values()) == 2
    assert len(response.get_data()) < 100_000
    hourly = client.get("/api/v1/alerts/chart?since=2026-01-01T10:00:00%2B00:00&until=2026-01-01T13:00:00%2B00:00",
                        headers=headers).get_json()["data"]
    assert hourly["bucket_seconds"] == 3600 and len(hourly["labels"]) == 3 and hourly["series"] == {"2": [1, 0, 0]}


def test_an_export_larger_than_the_limit_is_refused_naming_it(tmp_path, db_url, factory, make_user):
    from console import create_app
    from console.settings import load_settings
    from tests.conftest import login

    config = tmp_path / "small.toml"
    config.write_text(f'[console]\nsecret_key = "test-secret-key-not-for-production"\ndefault_locale = "en"\n'
                      f'[database]\nurl = "{db_url}"\n[paths]\nvar_dir = "{tmp_path / "var"}"\n'
                      f'[alerts]\nexport_max_rows = 100\n')
    eve = tmp_path / "eve.json"
    eve.write_bytes(b"\n".join(eve_alert(sid=9907000 + n) for n in range(101)) + b"\n")
    ingest_files(factory, [eve], "sensor-a", 500, 65536)
    app = create_app(load_settings(config))
    client = app.test_client()
    login(client, make_user("officer1", "security_officer"))
    for path in ("/alerts/export.csv?status=all", "/alerts/export.json?status=all"):
        response = client.get(path)
        assert response.status_code == 400 and "100" in response.get_data(as_text=True)
        assert "export_max_rows" in response.get_data(as_text=True)
    assert client.get("/alerts/export.csv?status=all&sid=9907001").status_code == 200
    app.extensions["ops"].engine.dispose()


def test_bad_addresses_are_counted_and_an_alert_with_one_is_not_stored(factory, tmp_path):
    context = {"timestamp": "2026-01-01T10:00:00.000000+0000", "event_type": "flow", "flow_id": 77,
               "src_ip": "198.18.20.10", "dest_ip": "not-an-ip"}
    eve = tmp_path / "eve.json"
    eve.write_bytes(eve_alert(src_ip="not-an-ip") + b"\n" + eve_alert(sid=9906005, dest_ip=7) + b"\n"
                    + json.dumps(context).encode() + b"\n" + eve_alert(sid=9906006) + b"\n")
    totals = ingest_files(factory, [eve], "sensor-a", 50, 65536)
    assert totals.problems == {"bad_address": 3}
    with factory() as session:
        assert list(session.scalars(select(Alert.sid))) == [9906006]
        kept = session.scalars(select(ContextEvent)).one()
        assert (kept.src_ip, kept.dest_ip) == ("198.18.20.10", "")
        assert not session.scalar(select(func.count()).select_from(AlertGroup).where(AlertGroup.src_ip == "not-an-ip"))


def test_a_host_field_holding_nul_gets_the_sensor_option(factory, tmp_path):
    eve = tmp_path / "eve.json"
    eve.write_bytes(eve_alert(host="\u0000nul") + b"\n" + eve_alert(sid=9906007, host="") + b"\n"
                    + eve_alert(sid=9906008, alert={"signature_id": 9906008, "signature": "a\u0000b"}) + b"\n")
    totals = ingest_files(factory, [eve], "given-sensor", 50, 65536)
    assert totals.alerts == 2 and totals.problems == {"bad_text": 1}
    with factory() as session:
        assert set(session.scalars(select(Alert.sensor))) == {"given-sensor"}
