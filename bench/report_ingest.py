"""Benchmark: sustained agent-report ingest through the production server.

Starts `ops console serve` (gunicorn, 2 workers) on a loopback port against a
fresh SQLite file and, when PostgreSQL's binaries are present, a throwaway
PostgreSQL cluster; enrols 27 agents (one per inventory host); then several
client processes post signed reports for DURATION seconds. The baseline,
measured the same way in the same run, is GET /healthz (one trivial query):
the ratio says what the ingest itself costs over the server's floor.

    .venv/bin/python bench/report_ingest.py [--seconds 10] [--clients 2]

Traffic goes to 127.0.0.1 only and stops after the given seconds.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from console import migrate  # noqa: E402
from console.db import make_engine, make_session_factory, session_scope  # noqa: E402
from console.agents import enrolment as agents  # noqa: E402
from console.access.actor import Actor  # noqa: E402
from console.inventory.sync import sync_inventory  # noqa: E402
from console.settings import load_settings  # noqa: E402
from probes import signing  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(folder: Path, url: str) -> tuple[Path, list[tuple[str, str, bytes]]]:
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "ops.toml"
    config.write_text(f'[console]\nsecret_key = "bench"\n[database]\nurl = "{url}"\n'
                      f'[paths]\nvar_dir = "{folder / "var"}"\n[inventory]\npath = "{REPO / "inventory"}"\n')
    settings = load_settings(config)
    engine = make_engine(settings.database_url)
    migrate.upgrade(engine)
    enrolled = []
    with session_scope(make_session_factory(engine)) as db:
        hosts = sync_inventory(db, Actor.cli(), settings.inventory).added
        for host in hosts:
            key = signing.new_private_key()
            _row, token = agents.create_enrollment_token(db, Actor.cli(), host)
            agent = agents.enroll(db, token, host, signing.public_key_text(key), "bench", "127.0.0.1")
            enrolled.append((agent.uid, host, signing.private_key_bytes(key)))
    engine.dispose()
    return config, enrolled


def sample_report(host: str) -> dict:
    from probes.collectors.health import HealthCollector

    return {"report_id": "", "host": host, "agent_version": "bench", "interval_seconds": 60,
            "collected_at": "", "health": HealthCollector(["ssh", "chrony"], cpu_interval=0).collect(), "errors": []}


def client(port: int, seconds: float, mode: str, enrolled, results) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    keys = [(uid, host, signing.load_private_key(pem)) for uid, host, pem in enrolled]
    templates = {host: sample_report(host) for _uid, host, _pem in enrolled}
    latencies, errors, number = [], 0, 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        uid, host, key = keys[number % len(keys)]
        number += 1
        started = time.perf_counter()
        if mode == "healthz":
            conn.request("GET", "/healthz")
        else:
            report = dict(templates[host], report_id=str(uuid.uuid4()),
                          collected_at=datetime.now(timezone.utc).isoformat())
            body = json.dumps(report).encode()
            stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
            conn.request("POST", "/api/v1/reports", body=body, headers={
                "Content-Type": "application/json", signing.AGENT_HEADER: uid, signing.TIMESTAMP_HEADER: stamp,
                signing.SIGNATURE_HEADER: signing.sign(key, uid, stamp, body)})
        response = conn.getresponse()
        response.read()
        latencies.append(time.perf_counter() - started)
        errors += response.status >= 300
    conn.close()
    results.put((latencies, errors))


def load(port: int, seconds: float, clients: int, mode: str, enrolled) -> dict:
    results = multiprocessing.Queue()
    share = [enrolled[i::clients] for i in range(clients)]
    workers = [multiprocessing.Process(target=client, args=(port, seconds, mode, share[i], results))
               for i in range(clients)]
    for worker in workers:
        worker.start()
    latencies, errors = [], 0
    for _ in workers:
        part, part_errors = results.get(timeout=seconds + 120)
        latencies += part
        errors += part_errors
    for worker in workers:
        worker.join()
    latencies.sort()
    return {"requests": len(latencies), "per_second": len(latencies) / seconds, "errors": errors,
            "p50_ms": 1000 * latencies[len(latencies) // 2], "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)]}


def serve(config: Path, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPS_")}
    server = subprocess.Popen([sys.executable, "-m", "console.cli", "--config", str(config), "console", "serve",
                               "--port", str(port), "--workers", "2"], cwd=REPO, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("console did not start")


def run_database(name: str, url: str, folder: Path, seconds: float, clients: int) -> list[dict]:
    config, enrolled = prepare(folder, url)
    port = free_port()
    server = serve(config, port)
    try:
        load(port, 2, clients, "report", enrolled)  # warm-up
        baseline = load(port, seconds, clients, "healthz", enrolled)
        ingest = load(port, seconds, clients, "report", enrolled)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return [dict(baseline, database=name, what="GET /healthz (baseline)"),
            dict(ingest, database=name, what="POST /api/v1/reports")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=2)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="ops-bench-") as tmp:
        rows += run_database("SQLite", f"sqlite:///{tmp}/sqlite/ops.db", Path(tmp) / "sqlite", args.seconds,
                             args.clients)
        if Path("/usr/lib/postgresql/15/bin/initdb").exists():
            sys.path.insert(0, str(REPO / "tests"))
            from tests.fixtures.postgres import PostgresCluster

            cluster = PostgresCluster().start()
            try:
                rows += run_database("PostgreSQL", cluster.new_database(), Path(tmp) / "pg", args.seconds,
                                     args.clients)
            finally:
                cluster.stop()
    print(f"machine: {platform.node()} {os.cpu_count()} cores, {platform.python_version()}, "
          f"{datetime.now(timezone.utc):%Y-%m-%d}, {args.clients} clients x {args.seconds:.0f} s, gunicorn 2 workers")
    print(f"{'database':<11} {'request':<26} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'vs baseline':>12}")
    for baseline, ingest in zip(rows[::2], rows[1::2]):
        for row in (baseline, ingest):
            ratio = row["per_second"] / baseline["per_second"]
            print(f"{row['database']:<11} {row['what']:<26} {row['per_second']:>8.0f} {row['p50_ms']:>8.1f} "
                  f"{row['p99_ms']:>8.1f} {row['errors']:>7} {ratio:>11.2f}x")


if __name__ == "__main__":
    main()
