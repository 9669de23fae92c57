"""Benchmark: compliance runs over the 27-host inventory and a generated estate of 10,000 hosts x 40 controls.

Each measured run happens in a fresh child process, so its peak RSS
(resource.getrusage) is the run's own: the estate's history (older reports,
earlier runs) must not show up in it. The generated estate gives every host
the roles and variables that make all 40 controls of the bench catalog (the
31 host controls of the built-in catalog plus 9 copies) apply, and a report
history of --history reports per host. Baseline, measured in the same run:
a naive evaluator (one ORM query per host for its reports with history,
ORM objects added one by one) over the first --naive-hosts hosts; compared
as results per second.

    .venv/bin/python bench/compliance_run.py [--hosts 10000] [--history 3] [--naive-hosts 1000]

Targets: 27 hosts < 1 s; 10,000 hosts < 30 s; peak memory flat as history grows.
"""

from __future__ import annotations

import argparse
import multiprocessing
import platform
import resource
import shutil
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import insert, select  # noqa: E402

from console import migrate  # noqa: E402
from console.compliance.catalog import BUILT_IN, load_catalog  # noqa: E402
from console.compliance.engine import applies, evaluate  # noqa: E402
from console.compliance.evidence import Evidence  # noqa: E402
from console.db import make_engine, make_session_factory, session_scope  # noqa: E402
from console.models import (Agent, ComplianceResult, ComplianceRun, Host, HostReport, HostStatus,  # noqa: E402
                            InventoryGroup, host_groups)
from console.models.base import utcnow  # noqa: E402
from console.compliance import runs as compliance_runs  # noqa: E402
from console.access.actor import Actor  # noqa: E402
from console.inventory.sync import sync_inventory  # noqa: E402
from console.settings import InventorySettings  # noqa: E402

GROUPS = ("unit_bench", "role_ids_sensor", "role_backup")


def payload(host: str, when, index: int) -> dict:
    """A report shaped like the agent's: health, ClamAV, nftables, one UPS, a sensor (about 2 KB)."""
    return {
        "schema_version": 1, "report_id": str(uuid.uuid4()), "host": host, "agent_version": "0.1.0",
        "collected_at": when.isoformat(), "interval_seconds": 60, "errors": [],
        "health": {"cpu_percent": 12.5, "cpu_count": 4, "load_average": [0.3, 0.2, 0.1], "memory_total_bytes": 8 << 30,
                   "memory_used_percent": 41.0, "swap_total_bytes": 0, "swap_used_percent": 0.0,
                   "boot_time": (when - timedelta(days=3)).isoformat(), "clock_offset_seconds": 0.002,
                   "clock_source": "chrony",
                   "disks": [{"mount": "/", "device": "/dev/sda1", "fstype": "ext4", "total_bytes": 100 << 30,
                              "used_bytes": 40 << 30, "percent": 40.0 + index % 50}],
                   "services": [{"name": n, "running": True} for n in ("ssh", "chrony", "auditd", "suricata", "bareos-sd")]},
        "antivirus": [{"provider": "clamav", "installed": True, "running": True, "realtime_protection": index % 7 != 0,
                       "signature_date": (when - timedelta(hours=5)).isoformat(),
                       "last_scan_at": (when - timedelta(days=2)).isoformat()}],
        "firewall": {"backend": "nftables", "input_policy": "drop" if index % 11 else "accept", "forward_policy": "drop",
                     "rule_count": 6, "unparsed_rules": 0, "open_ports": [{"proto": "tcp", "port": 22}]},
        "ups": [{"name": "ups@198.18.40.250", "reachable": True, "status_flags": ["OL"], "battery_charge_percent": 100.0,
                 "battery_runtime_seconds": 1800.0, "load_percent": 35.0, "test_result": "Done and passed"}],
        "sensor": {"running": True, "rules_loaded": 40000, "rules_failed": 0},
        "sshd": {"permit_root_login": "no"},
    }


def bench_catalog(folder: Path) -> Path:
    """The built-in host controls plus copies: 40 controls that all apply to a generated host."""
    folder.mkdir(parents=True, exist_ok=True)
    extra = []
    for path in sorted(BUILT_IN.glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        kept = [c for c in data["controls"] if "devices" not in c["applies_to"]]
        (folder / path.name).write_text(yaml.safe_dump({"controls": kept}, allow_unicode=True))
        extra.extend(kept)
    copies = []
    for number, control in enumerate(extra[:40 - len(extra)], 1):
        copies.append({**control, "id": f"BENCH-{number:02d}"})
    (folder / "zz_copies.yaml").write_text(yaml.safe_dump({"controls": copies}, allow_unicode=True))
    assert len(load_catalog(folder).controls) == 40
    return folder


def generate_estate(url: str, hosts: int, history: int) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    now = utcnow()
    with session_scope(make_session_factory(engine)) as db:
        groups = {}
        for name in GROUPS:
            group = InventoryGroup(name=name, kind="unit" if name.startswith("unit") else "role", variables={})
            db.add(group)
            groups[name] = group
        db.flush()
        variables = {"ops_ups": "ups@198.18.40.250", "ops_required_services": ["suricata"]}
        db.execute(insert(Host), [{"name": f"bench-{i:05d}", "address": "198.18.40.10", "unit": "unit_bench",
                                   "roles": ["role_ids_sensor", "role_backup"], "variables": variables,
                                   "status": HostStatus.active} for i in range(hosts)])
        ids = [row for row in db.scalars(select(Host.id).order_by(Host.id))]
        db.execute(insert(host_groups), [{"host_id": h, "group_id": g.id} for h in ids for g in groups.values()])
        db.execute(insert(Agent), [{"uid": str(uuid.uuid4()), "host_id": h, "public_key": "x" * 44} for h in ids])
    add_history(url, history, now)
    engine.dispose()


def add_history(url: str, reports_per_host: int, now) -> None:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory() as db:
        hosts = db.execute(select(Host.id, Host.name)).all()
        agents = dict(db.execute(select(Agent.host_id, Agent.id)).all())
    for step in range(reports_per_host):
        when = now - timedelta(minutes=reports_per_host - step)
        for start in range(0, len(hosts), 2000):
            with session_scope(factory) as db:
                db.execute(insert(HostReport), [
                    {"report_id": str(uuid.uuid4()), "host_id": h, "agent_id": agents[h], "collected_at": when,
                     "received_at": when, "payload": payload(name, when, i + step), "error_count": 0}
                    for i, (h, name) in enumerate(hosts[start:start + 2000], start)])
    engine.dispose()


def measured_run(url: str, catalog_dir: str | None, queue) -> None:
    """In a child process: one compliance run; sends (seconds, results, peak RSS MiB)."""
    factory = make_session_factory(make_engine(url))
    catalog = load_catalog(Path(catalog_dir) if catalog_dir else None)
    started = time.perf_counter()
    outcome = compliance_runs.execute(factory, Actor.cli(), catalog)
    seconds = time.perf_counter() - started
    queue.put((seconds, outcome.counts["total"], *_usage()))


def _usage() -> tuple[float, float]:
    """(peak RSS MiB, CPU seconds) of this process: the CPU time does not grow when other work shares the cores."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def naive_run(url: str, catalog_dir: str, limit: int, queue) -> None:
    """The obvious way: per host, every report it has (ORM), the newest picked in Python; ORM objects one by one."""
    factory = make_session_factory(make_engine(url))
    catalog = load_catalog(Path(catalog_dir))
    from console.compliance.evidence import Target

    started = time.perf_counter()
    count = 0
    with session_scope(factory) as db:
        run = ComplianceRun(trigger="cli", actor="naive", counts={}, summary={})
        db.add(run)
        db.flush()
        now = utcnow()
        for host in db.scalars(select(Host).order_by(Host.name).limit(limit)):
            history = list(db.scalars(select(HostReport).where(HostReport.host_id == host.id)))
            newest = max(history, key=lambda r: r.collected_at)
            target = Target(host.name, "host", host.unit, frozenset(g.name for g in host.groups), host.variables, host.id)
            for control in catalog.controls:
                if applies(control, target):
                    row = evaluate(control, target, Evidence(newest.payload, newest.collected_at), now)
                    db.add(ComplianceResult(run_id=run.id, **row))
                    count += 1
    seconds = time.perf_counter() - started
    queue.put((seconds, count, *_usage()))


def child(target, *args):
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    result = queue.get(timeout=1800)
    process.join(timeout=60)
    return result


def inventory_estate(url: str) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    with session_scope(factory) as db:
        sync_inventory(db, Actor.cli(), InventorySettings(path=REPO / "inventory"))
        hosts = db.execute(select(Host.id, Host.name)).all()
        db.execute(insert(Agent), [{"uid": str(uuid.uuid4()), "host_id": h, "public_key": "x" * 44} for h, _ in hosts])
    engine.dispose()
    add_history(url, 1, utcnow())


def row(label, seconds, results, rss, cpu, baseline=None):
    rate = results / seconds
    ratio = f"{rate / baseline:.1f}x" if baseline else "–"
    print(f"| {label} | {results} | {seconds:.2f} | {cpu:.2f} | {rate:,.0f} | {rss:.0f} | {ratio} |", flush=True)
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hosts", type=int, default=10000)
    parser.add_argument("--history", type=int, default=3)
    parser.add_argument("--naive-hosts", type=int, default=1000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ops-bench-compliance-"))
    try:
        print(f"python {platform.python_version()}, {platform.machine()}, SQLite; folder {folder}")
        print("| run | results | wall s | CPU s (process) | results/s | peak RSS MiB | vs naive |")
        print("|---|---|---|---|---|---|---|")
        small = f"sqlite:///{folder / 'inventory.db'}"
        inventory_estate(small)
        runs = [child(measured_run, small, None) for _ in range(3)]
        row("27-host inventory, built-in catalog (median of 3)", *sorted(runs)[1])
        catalog = str(bench_catalog(folder / "catalog"))
        big = f"sqlite:///{folder / 'estate.db'}"
        started = time.perf_counter()
        generate_estate(big, args.hosts, args.history)
        print(f"(estate of {args.hosts} hosts x {args.history} reports generated in {time.perf_counter() - started:.0f} s)")
        naive = row(f"naive, first {args.naive_hosts} hosts, {args.history} reports each",
                    *child(naive_run, big, catalog, args.naive_hosts))
        row(f"{args.hosts} hosts x 40 controls, {args.history} reports each", *child(measured_run, big, catalog), naive)
        add_history(big, args.history * 2, utcnow())
        row(f"same, after {args.history * 3} reports per host and 2 stored runs", *child(measured_run, big, catalog), naive)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
