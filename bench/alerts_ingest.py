"""Benchmark: EVE ingest (events/s) and the alert inbox's p95 at 1,000,000 alerts.

The EVE data is real Suricata output: scapy-made HTTP, DNS and TCP traffic
in a pcap, read by `suricata -r` with three rules that fire, then repeated
with flow ids, timestamps and the last octets of the addresses varied (all
inside 198.18.20.0/24) so that groups and flows are many and distinct.

Measured in one run, side by side, on SQLite and on a throwaway PostgreSQL:
- parse only (the ceiling): read lines, parse, build rows, no database;
- the fast path: `ingest_files` (batched executemany, group upserts,
  checkpoint in the same transaction);
- the naive baseline: json.loads and one ORM insert (add + flush) per event;
- the inbox: 1,000,000 alerts stored, then GET /alerts/ (full page through
  Flask, filters and keyset pages) and the bare query, p50/p95.

    .venv/bin/python bench/alerts_ingest.py [--events 500000] [--inbox-alerts 1000000] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from console import migrate  # noqa: E402
from console.db import make_engine, make_session_factory  # noqa: E402
from console.models import Alert, AlertGroup, ContextEvent, EventCounter  # noqa: E402
from console.alerts.ingest import ingest_files  # noqa: E402
from console.alerts.query import list_groups, parse_filter  # noqa: E402
from console.alerts.store import Batch  # noqa: E402
from console.alerts.eve_parse import parse_timestamp  # noqa: E402
from console.settings import AlertsSettings  # noqa: E402

BATCH = AlertsSettings().batch_size  # the shipped default ([alerts] batch_size)
from probes.eve_files import LineReader  # noqa: E402
from console.lab.traffic import make_traffic, run_suricata  # noqa: E402


def suricata_lines(folder: Path) -> list[dict]:
    eve = run_suricata(make_traffic(folder / "traffic.pcap", rounds=10), folder / "suricata")
    return [json.loads(line) for line in eve.read_bytes().splitlines()]


def write_repeated(records: list[dict], path: Path, events: int, alerts_only: bool = False) -> int:
    """Write `events` lines made from `records`, each copy moved in time and address space."""
    source = [r for r in records if r["event_type"] == "alert"] if alerts_only else records
    written, copy = 0, 0
    with open(path, "wb") as handle:
        while written < events:
            shift = copy * 37  # seconds between copies
            for record in source:
                record = dict(record)
                if "flow_id" in record:
                    record["flow_id"] = record["flow_id"] + copy * 1_000_003
                if "src_ip" in record:
                    record["src_ip"] = f"198.18.20.{1 + copy % 250}"
                    record["dest_ip"] = f"198.18.20.{1 + (copy // 250) % 250}"
                stamp = parse_timestamp(record["timestamp"]).timestamp() + shift
                record["timestamp"] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(stamp)) + ".000000+0000"
                handle.write(json.dumps(record, separators=(",", ":")).encode() + b"\n")
                written += 1
                if written >= events:
                    break
            copy += 1
    return written


def parse_only(path: Path) -> float:
    started, count = time.perf_counter(), 0
    with open(path, "rb") as handle:
        batch = Batch("bench", "bench")
        for line, _start, _end in LineReader(handle, 0, 1 << 20).lines():
            batch.add_line(line, "bench")
            count += 1
            if batch.lines >= BATCH:
                batch = Batch("bench", "bench")
    return count / (time.perf_counter() - started)


def fast(url: str, path: Path, events: int) -> float:
    factory = fresh(url)
    started = time.perf_counter()
    totals = ingest_files(factory, [path], "bench", BATCH, 1 << 20)
    elapsed = time.perf_counter() - started
    assert totals.events == events, totals.summary()
    return totals.events / elapsed


def naive(url: str, path: Path, limit: int) -> float:
    """json.loads and one ORM object added and flushed per event; committed every 1000."""
    factory = fresh(url)
    started, count = time.perf_counter(), 0
    with factory() as session, open(path, "rb") as handle:
        for line in handle:
            record = json.loads(line)
            at = parse_timestamp(record["timestamp"])
            kind = record["event_type"]
            if kind == "alert":
                alert = record["alert"]
                session.add(Alert(event_at=at, sensor="bench", gid=alert["gid"], sid=alert["signature_id"],
                                  rev=alert["rev"], signature=alert["signature"], category=alert["category"],
                                  severity=alert["severity"], src_ip=record["src_ip"], src_port=record.get("src_port"),
                                  dest_ip=record["dest_ip"], dest_port=record.get("dest_port"),
                                  proto=record["proto"], flow_id=record.get("flow_id"),
                                  app_proto=record.get("app_proto", ""), group_key="-", record=line.decode()))
            elif kind == "stats":
                session.add(EventCounter(sensor="bench", event_type=f"stats{count}", count=1, last_event_at=at,
                                         last_record=line.decode()))
            else:
                session.add(ContextEvent(event_at=at, sensor="bench", event_type=kind, flow_id=record.get("flow_id"),
                                         src_ip=record.get("src_ip", ""), dest_ip=record.get("dest_ip", ""),
                                         record=line.decode()))
            session.flush()
            count += 1
            if count % 1000 == 0:
                session.commit()
            if count >= limit:
                break
        session.commit()
    return count / (time.perf_counter() - started)


def fresh(url: str):
    engine = make_engine(url)
    migrate.upgrade(engine)
    return make_session_factory(engine)


def inbox(url: str, path: Path, folder: Path) -> dict:
    """Store the alert file, then time the inbox page and its query over typical filters and pages."""
    factory = fresh(url)
    started = time.perf_counter()
    totals = ingest_files(factory, [path], "bench", BATCH, 1 << 20)
    load_rate = totals.events / (time.perf_counter() - started)
    with factory() as session:
        alerts = session.query(Alert).count()
        groups = session.query(AlertGroup).count()
    client = _client(url, folder)
    queries = [{}, {"status": "all"}, {"q": "dns"}, {"ip": "198.18.20.0/28"}, {"sid": "9905003", "status": "all"},
               {"severity": "1"}, {"sensor": "bench"}, {"status": "all", "since": "2026-01-01T00:00+00:00"}]
    page_times, query_times = [], []
    with factory() as session:
        _first, cursor = list_groups(session, parse_filter({"status": "all"}), limit=50)
        for _ in range(20):  # walk 20 pages deep so a later page is timed too
            _page, cursor = list_groups(session, parse_filter({"status": "all"}), after=cursor, limit=50)
        queries.append({"status": "all", "after": cursor})
        for _round in range(15):
            for args in queries:
                started = time.perf_counter()
                response = client.get("/alerts/?" + urlencode(args))
                page_times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (args, response.status_code)
                started = time.perf_counter()
                list_groups(session, parse_filter(args), after=args.get("after"), limit=50)
                query_times.append((time.perf_counter() - started) * 1000)
    return {"alerts": alerts, "groups": groups, "load_rate": load_rate, "page": _percentiles(page_times),
            "query": _percentiles(query_times)}


def _client(url: str, folder: Path):
    from console import create_app
    from console.access import users
    from console.access.actor import Actor
    from console.settings import load_settings

    config = folder / f"ops-{abs(hash(url))}.toml"
    config.write_text(f'[console]\nsecret_key = "bench"\ndefault_locale = "en"\n[database]\nurl = "{url}"\n'
                      f'[paths]\nvar_dir = "{folder / "var"}"\n[inventory]\npath = "{REPO / "inventory"}"\n')
    app = create_app(load_settings(config))
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    with make_session_factory(app.extensions["ops"].engine)() as session:
        users.create_user(session, Actor.cli(), app.extensions["ops"].settings.security, "bench", "auditor",
                          password="bench password 123")
        session.commit()
    client = app.test_client()
    response = client.post("/login", data={"username": "bench", "password": "bench password 123"})
    assert response.status_code == 302, response.status_code
    return client


def _percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--naive-events", type=int, default=30_000)
    parser.add_argument("--inbox-alerts", type=int, default=1_000_000)
    parser.add_argument("--skip-postgres", action="store_true")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ops-bench-alerts-"))
    records = suricata_lines(folder)
    mixed, alerts_file = folder / "eve-mixed.json", folder / "eve-alerts.json"
    events = write_repeated(records, mixed, options.events)
    write_repeated(records, alerts_file, options.inbox_alerts, alerts_only=True)
    kinds = {}
    for record in records:
        kinds[record["event_type"]] = kinds.get(record["event_type"], 0) + 1
    print(f"{platform.node()} {platform.processor() or platform.machine()} python {platform.python_version()} "
          f"{time.strftime('%Y-%m-%d')}")
    print(f"suricata wrote {len(records)} events {kinds}; repeated to {events} ({mixed.stat().st_size >> 20} MiB)")
    ceiling = parse_only(mixed)
    print(f"parse only (ceiling)            {ceiling:>10,.0f} events/s")
    databases = [("SQLite", lambda name: f"sqlite:///{folder / name}.db")]
    cluster = None
    if not options.skip_postgres:
        from tests.fixtures.postgres import PostgresCluster

        cluster = PostgresCluster().start()
        databases.append(("PostgreSQL", lambda _name: cluster.new_database()))
    try:
        for label, url in databases:
            rate = fast(url("fast"), mixed, events)
            slow = naive(url("naive"), mixed, options.naive_events)
            print(f"{label:<11} fast path            {rate:>10,.0f} events/s  ({rate / slow:.1f}x naive, "
                  f"{rate / ceiling:.2f}x parse-only)")
            print(f"{label:<11} naive (ORM per event){slow:>10,.0f} events/s  (first {options.naive_events} events)")
            result = inbox(url("inbox"), alerts_file, folder)
            print(f"{label:<11} inbox with {result['alerts']:,} alerts in {result['groups']:,} groups "
                  f"(loaded at {result['load_rate']:,.0f}/s): page p50 {result['page'][0]:.1f} ms "
                  f"p95 {result['page'][1]:.1f} ms; query p50 {result['query'][0]:.1f} ms "
                  f"p95 {result['query'][1]:.1f} ms")
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)  # about 2 GB of EVE files and databases


if __name__ == "__main__":
    main()
