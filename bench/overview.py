"""Benchmark: the Overview page (and its 30 s tile fragment) against GET /healthz, on SQLite and PostgreSQL.

The database holds what a busy site holds after months: --alerts IDS alerts spread over 30 days
(a seventh of them in the chart's 7-day window) in --groups alert groups (a third still new),
--hosts active hosts with a live agent and a newest report each (the agent's ~2 KB payload,
a few with a disk nearly full, a few stale, some never reporting), --runs compliance runs with
their counts and the latest run's --controls results per host, four information systems assessed
in every run, 200 incidents, 2,000 jobs, four devices with 90 days of states, two ruleset versions
and two sensors. Rows are written with bulk INSERTs (the shape, not the ingest path, is measured here),
then ANALYZE (VACUUM ANALYZE on PostgreSQL, as autovacuum does after a bulk load).

Then, through Flask's test client as a logged-in auditor, GET / (the full page), GET /overview/tiles
(what the page fetches every 30 s) and GET /healthz (the floor: one SELECT 1 through the same app),
interleaved, --rounds times each; p50/p95 and the ratio of the page's p95 to /healthz's.

    .venv/bin/python bench/overview.py [--alerts 1000000] [--hosts 10000] [--runs 100] [--rounds 60] [--skip-postgres]

Target: page p95 < 150 ms.
"""

from __future__ import annotations

import argparse
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from sqlalchemy import insert, select  # noqa: E402

from alerts_ingest import _client as client  # noqa: E402  (a logged-in test client, as the inbox bench has)
from compliance_run import payload  # noqa: E402  (the agent-shaped report of the compliance bench)
from console import migrate  # noqa: E402
from console.db import make_engine, make_session_factory, session_scope  # noqa: E402
from console.models import (Agent, Alert, AlertGroup, ComplianceResult, ComplianceRun, Device,  # noqa: E402
                            DeviceState, Host, HostReport, HostStatus, Incident, InformationSystem, Job, JobState,
                            RuleDeployment, RulesetVersion, SystemAssessment)
from console.models.base import utcnow  # noqa: E402

CHUNK = 20_000
SEVERITIES = (1, 2, 2, 3, 3, 3, 4)


def build(url: str, hosts: int, alerts: int, groups: int, runs: int, controls: int) -> dict:
    engine = make_engine(url)
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    now = utcnow()
    rng = random.Random(16)
    started = time.perf_counter()
    with session_scope(factory) as db:
        db.execute(insert(Host), [{"name": f"bench-{i:05d}", "address": f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}",
                                   "unit": f"unit_{i % 12:02d}", "roles": [], "variables": {},
                                   "status": HostStatus.active} for i in range(hosts)])
        ids = list(db.scalars(select(Host.id).order_by(Host.id)))
        reporting = ids[: hosts - hosts // 20]  # 5 % never enrolled
        db.execute(insert(Agent), [{"uid": str(uuid.uuid4()), "host_id": h, "public_key": "x" * 44,
                                    "last_seen_at": now - timedelta(hours=1 if n % 50 == 0 else 0),
                                    "interval_seconds": 60} for n, h in enumerate(reporting)])
        agents = dict(db.execute(select(Agent.host_id, Agent.id)).all())
    for start in range(0, len(reporting), 2000):
        with session_scope(factory) as db:
            db.execute(insert(HostReport), [
                {"report_id": str(uuid.uuid4()), "host_id": h, "agent_id": agents[h], "collected_at": now,
                 "received_at": now, "payload": payload(f"bench-{h:05d}", now, n), "error_count": 0,
                 "disk_max_percent": 40.0 + n % 50, "cpu_percent": 10.0, "memory_percent": 40.0}
                for n, h in enumerate(reporting[start:start + 2000], start)])
    with session_scope(factory) as db:
        db.execute(insert(AlertGroup), [
            {"group_key": f"g{g:07d}", "gid": 1, "sid": 9_000_000 + g % 500, "signature": f"BENCH signature {g % 500}",
             "category": "Bench", "severity": SEVERITIES[g % len(SEVERITIES)], "src_ip": f"198.18.20.{g % 250}",
             "dest_ip": "198.18.20.2", "src_key": f"s{g % 250}", "dest_key": "d2", "first_seen": now - timedelta(days=30),
             "last_seen": now, "count": alerts // groups, "status": "new" if g % 3 == 0 else "closed",
             "updated_at": now} for g in range(groups)])
    window = timedelta(days=30).total_seconds()
    for start in range(0, alerts, CHUNK):
        with session_scope(factory) as db:
            rows = []
            for n in range(start, min(start + CHUNK, alerts)):
                g = rng.randrange(groups)
                rows.append({"event_at": now - timedelta(seconds=rng.random() * window), "sensor": f"sensor-{n % 2}",
                             "gid": 1, "sid": 9_000_000 + g % 500, "rev": 1, "signature": f"BENCH signature {g % 500}",
                             "category": "Bench", "severity": SEVERITIES[g % len(SEVERITIES)],
                             "src_ip": f"198.18.20.{g % 250}", "src_port": 40000 + n % 20000, "dest_ip": "198.18.20.2",
                             "dest_port": 80, "proto": "TCP", "flow_id": n, "app_proto": "http",
                             "group_key": f"g{g:07d}", "record": "{}"})
            db.execute(insert(Alert), rows)
    control_ids = [f"CTL-{c:02d}" for c in range(controls)]
    with session_scope(factory) as db:
        fails = {control: sum(1 for i in range(hosts) if (i + c * 7) % (c + 3) == 0)
                 for c, control in enumerate(control_ids)}
        for r in range(runs):
            score = 60.0 + 30.0 * r / max(runs - 1, 1)
            total = hosts * controls
            passed = int(total * score / 100)
            db.add(ComplianceRun(trigger="schedule", actor="system", state="done",
                                 started_at=now - timedelta(days=runs - r), finished_at=now - timedelta(days=runs - r),
                                 counts={"pass": passed, "fail": total - passed, "unknown": 0, "waived": 0,
                                         "total": total, "score": score},
                                 summary={"category": {"bench": {"pass": passed, "score": score}},
                                          "control": {control: {"fail": n, "pass": hosts - n}
                                                      for control, n in fails.items()}}))
        db.flush()
        run_ids = list(db.scalars(select(ComplianceRun.id).order_by(ComplianceRun.id)))
        systems = [("sys_a", 3), ("sys_b", 2), ("sys_c", 2), ("sys_d", 1)]
        for key, level in systems:
            db.add(InformationSystem(key=key, name_vi=f"Hệ thống {key}", name_en=f"System {key}", owner_unit="unit_00",
                                     level=level, framework="current-331", hosts=[f"bench-{i:05d}" for i in range(50)]))
        db.execute(insert(SystemAssessment), [
            {"run_id": run_id, "system_key": key, "name_vi": key, "name_en": key, "owner_unit": "unit_00",
             "level": level, "framework": "current-331", "hosts": [], "counts": {"total": 40, "met": 30},
             "percent_met": 75.0, "verdicts": [{"requirement_id": f"R{n}", "why": "x" * 200} for n in range(40)],
             "gap": []} for run_id in run_ids for key, level in systems])
    names = [f"bench-{i:05d}" for i in range(hosts)]
    for start in range(0, hosts, 500):
        with session_scope(factory) as db:
            db.execute(insert(ComplianceResult), [
                {"run_id": run_ids[-1], "control_id": control, "target": name, "target_kind": "host",
                 "unit": "unit_00", "category": "bench", "severity": "high",
                 "result": "fail" if (i + c * 7) % (c + 3) == 0 else "pass", "why": "bench", "evidence": {}}
                for i, name in enumerate(names[start:start + 500], start) for c, control in enumerate(control_ids)])
    with session_scope(factory) as db:
        db.execute(insert(Incident), [
            {"title": f"Bench incident {n}", "source": "report", "system_key": "sys_a", "serious": True,
             "detected_at": now - timedelta(hours=n), "created_by": "bench", "created_at": now - timedelta(hours=n),
             "first_notice_at": now if n > 30 else None, "full_report_at": now if n > 60 else None}
            for n in range(200)])
        db.execute(insert(Job), [
            {"playbook": "site.yml", "started_by": "bench", "extravars": {},
             "state": (JobState.failed if n % 9 == 0 else JobState.successful) if n > 3 else JobState.running,
             "created_at": now - timedelta(minutes=10 * n), "finished_at": now - timedelta(minutes=10 * n) if n > 3 else None}
            for n in range(2000)])
        for name, kind, connector in (("ups-a", "ups", "nut"), ("ups-b", "ups", "snmp"), ("fw-a", "firewall", "sophos"),
                                      ("fw-b", "firewall", "sophos")):
            device = Device(name=name, kind=kind, connector=connector, address="198.18.40.250", port=1, host_names=[])
            db.add(device)
            db.flush()
            db.execute(insert(DeviceState), [
                {"device_id": device.id, "collected_at": now - timedelta(minutes=5 * n), "status": "ok",
                 "state": {"status_flags": ["OL"], "battery_runtime_seconds": 1800.0} if kind == "ups" else {}}
                for n in range(90 * 288 // 10)])  # 90 days of 5-minute polls, a tenth of them kept
        db.add(RulesetVersion(number=1, built_by="bench", rules_total=40000, rules_enabled=30000, rules_added=0,
                              rules_removed=0, rules_modified=0, is_active=False))
        db.add(RulesetVersion(number=2, built_by="bench", rules_total=40000, rules_enabled=30010, rules_added=10,
                              rules_removed=0, rules_modified=0, is_active=True, activated_at=now))
        db.add(RuleDeployment(sensor="sensor-0", version_number=2, deployed_by="bench", status="ok", rules_loaded=30010,
                              rules_failed=0))
        db.add(RuleDeployment(sensor="sensor-1", version_number=1, deployed_by="bench", status="ok", rules_loaded=30000,
                              rules_failed=2))
    # Planner statistics and (PostgreSQL) the visibility map, as autovacuum leaves them after a bulk load:
    # done here so the figures do not depend on whether autovacuum has got round to it yet.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE")
    with factory() as db:
        counted = {"alerts": db.query(Alert).count(), "hosts": db.query(Host).count(),
                   "runs": db.query(ComplianceRun).count(), "results": db.query(ComplianceResult).count()}
    engine.dispose()
    counted["seconds"] = time.perf_counter() - started
    return counted


def measure(test_client, rounds: int) -> dict[str, tuple[float, float]]:
    paths = {"page": "/", "tiles": "/overview/tiles", "healthz": "/healthz"}
    started = time.perf_counter()  # the first page judges every host's newest report (nothing judged yet)
    assert test_client.get("/").status_code == 200
    cold = (time.perf_counter() - started) * 1000
    for path in paths.values():  # warm: templates compiled, connections pooled
        assert test_client.get(path).status_code == 200, path
    times: dict[str, list[float]] = {name: [] for name in paths}
    for _round in range(rounds):
        for name, path in paths.items():
            started = time.perf_counter()
            response = test_client.get(path)
            times[name].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
    return {"first": (cold, cold), **{name: percentiles(values) for name, values in times.items()}}


def percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[max(int(len(ordered) * 0.95) - 1, 0)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--alerts", type=int, default=1_000_000)
    parser.add_argument("--groups", type=int, default=20_000)
    parser.add_argument("--hosts", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--controls", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--skip-postgres", action="store_true")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ops-bench-overview-"))
    print(f"{platform.node()} {platform.processor() or platform.machine()} python {platform.python_version()} "
          f"{time.strftime('%Y-%m-%d')}")
    databases = [("SQLite", lambda: f"sqlite:///{folder / 'overview.db'}")]
    cluster = None
    if not options.skip_postgres:
        from tests.fixtures.postgres import PostgresCluster

        cluster = PostgresCluster().start()
        databases.append(("PostgreSQL", cluster.new_database))
    try:
        for label, make_url in databases:
            url = make_url()
            built = build(url, options.hosts, options.alerts, options.groups, options.runs, options.controls)
            print(f"{label:<11} {built['alerts']:,} alerts, {built['hosts']:,} hosts, {built['runs']} runs "
                  f"({built['results']:,} results in the latest) built in {built['seconds']:.0f} s", flush=True)
            result = measure(client(url, folder), options.rounds)
            page, tiles, health = result["page"], result["tiles"], result["healthz"]
            print(f"{label:<11} GET /               p50 {page[0]:7.1f} ms  p95 {page[1]:7.1f} ms  "
                  f"({page[1] / health[1]:.1f}x /healthz p95; target p95 < 150 ms: "
                  f"{'met' if page[1] < 150 else 'NOT met'})")
            print(f"{label:<11} GET /overview/tiles p50 {tiles[0]:7.1f} ms  p95 {tiles[1]:7.1f} ms  "
                  f"({tiles[1] / health[1]:.1f}x /healthz p95)")
            print(f"{label:<11} GET /healthz        p50 {health[0]:7.1f} ms  p95 {health[1]:7.1f} ms", flush=True)
            print(f"{label:<11} first GET / of the process (every report judged): {result['first'][0]:.0f} ms", flush=True)
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
