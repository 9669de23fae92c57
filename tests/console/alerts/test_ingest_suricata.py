"""Ingest of what a real Suricata wrote: every alert found, context linked by flow_id, counters."""

from __future__ import annotations

import gzip
import json
import shutil

from sqlalchemy import func, select

from console.models import Alert, AlertGroup, ContextEvent, EventCounter
from console.alerts.ingest import ingest_files
from tests.console.alerts.conftest import alert_lines, renumbered


def test_ingest_stores_every_alert_suricata_wrote_with_its_whole_record(factory, suricata_eve):
    written = count_event_types(suricata_eve)
    totals = ingest_files(factory, [suricata_eve], "sensor-a", 7, 65536)
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Alert)) == written["alert"] == totals.alerts
        stored = {json.loads(r) ["flow_id"] for r in session.scalars(select(Alert.record))}
        assert stored == {json.loads(line)["flow_id"] for line in alert_lines(suricata_eve)}
        web = session.scalars(select(Alert).where(Alert.sid == 9905001)).first()
        assert web.signature == "OPS test web attack path" and web.dest_port == 80 and web.app_proto == "http"
        assert json.loads(web.record)["http"]["url"] == "/ops-test-attack?id=1"


def test_alerts_are_grouped_by_signature_source_and_destination(factory, suricata_eve):
    ingest_files(factory, [suricata_eve], "sensor-a", 500, 65536)
    with factory() as session:
        groups = session.scalars(select(AlertGroup).order_by(AlertGroup.sid, AlertGroup.src_ip)).all()
    # three clients x (web, dns) + one backdoor flow source, each seen in both rounds
    assert [(g.sid, g.src_ip, g.count) for g in groups] == [
        (9905001, "198.18.200.10", 2), (9905001, "198.18.200.11", 2), (9905001, "198.18.200.12", 2),
        (9905002, "198.18.200.10", 2), (9905002, "198.18.200.11", 2), (9905002, "198.18.200.12", 2),
        (9905003, "198.18.200.11", 2)]
    assert all(g.status == "new" and g.first_seen < g.last_seen for g in groups)


def test_context_events_are_kept_whole_and_linked_by_flow_id(factory, suricata_eve):
    written = count_event_types(suricata_eve)
    ingest_files(factory, [suricata_eve], "sensor-a", 500, 65536)
    with factory() as session:
        kinds = dict(session.execute(select(ContextEvent.event_type, func.count()).group_by(ContextEvent.event_type)).all())
        assert kinds == {k: v for k, v in written.items() if k not in ("alert", "stats", "anomaly")}
        web = session.scalars(select(Alert).where(Alert.sid == 9905001)).first()
        around = session.scalars(select(ContextEvent.event_type).where(ContextEvent.flow_id == web.flow_id)).all()
        assert {"http", "flow"} <= set(around)
        counters = {c.event_type: c.count for c in session.scalars(select(EventCounter))}
        assert counters == {"stats": written["stats"]}


def test_ingesting_a_file_again_or_its_gz_copy_adds_nothing(factory, suricata_eve, tmp_path):
    gz = tmp_path / "eve.json.1.gz"
    with open(suricata_eve, "rb") as source, gzip.open(gz, "wb") as target:
        shutil.copyfileobj(source, target)
    ingest_files(factory, [suricata_eve], "s", 5, 65536)
    again = ingest_files(factory, [suricata_eve, gz], "s", 5, 65536)
    assert again.events == 0
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Alert)) == len(alert_lines(suricata_eve))


def test_a_rotated_gz_file_is_ingested(factory, suricata_eve, tmp_path):
    gz = tmp_path / "eve.json.2.gz"
    with open(suricata_eve, "rb") as source, gzip.open(gz, "wb") as target:
        shutil.copyfileobj(source, target)
    totals = ingest_files(factory, [gz], "s", 10, 65536)
    assert totals.alerts == len(alert_lines(suricata_eve))


def test_a_bulk_ingest_into_postgresql_leaves_fresh_planner_statistics(postgres, suricata_eve, monkeypatch, tmp_path):
    """Without them the inbox's sensor filter took 280 ms instead of 2 ms at 1M alerts until autovacuum ran."""
    from sqlalchemy import text

    from console import migrate
    from console.db import make_engine, make_session_factory
    from console.alerts import ingest as alerts_ingest

    engine = make_engine(postgres.new_database())
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    analyzed = "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL AND relname LIKE 'alert%'"
    try:
        monkeypatch.setattr(alerts_ingest, "ANALYZE_AFTER_EVENTS", 10**9)
        ingest_files(factory, [suricata_eve], "sensor-a", 500, 65536)
        with engine.connect() as conn:
            assert conn.execute(text(analyzed)).scalars().all() == []
        monkeypatch.setattr(alerts_ingest, "ANALYZE_AFTER_EVENTS", 10)
        copy = tmp_path / "again.json"
        copy.write_bytes(b"\n".join(renumbered(suricata_eve.read_bytes().splitlines(), 1)) + b"\n")
        totals = ingest_files(factory, [copy], "sensor-a", 500, 65536)
        assert totals.events > 10
        with engine.connect() as conn:
            assert set(conn.execute(text(analyzed)).scalars()) == {"alerts", "alert_groups", "alert_context_events"}
    finally:
        engine.dispose()


def count_event_types(eve) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in eve.read_bytes().splitlines():
        kind = json.loads(line)["event_type"]
        counts[kind] = counts.get(kind, 0) + 1
    return counts
