"""Benchmark: syncing 5,000 endpoints from the KSC replay server, against the replay server's raw transfer time.

The replay server is console/lab/ksc.py (the demo's `ops lab ksc`), on 127.0.0.1 over HTTPS with its
self-signed certificate pinned, serving the inventory's servers plus COUNT generated workstations. Three
figures, each the median of ROUNDS runs:

- baseline: the raw transfer, i.e. the same KSC calls (StartSession, FindGroups, FindHosts, every
  GetItemsChunk, Release) over the connector's kept-alive HTTPS connection, answers read and JSON-decoded,
  nothing checked or stored;
- first sync: `console.endpoints.service.sync` into a fresh, migrated database with the inventory synced:
  the read plus the shape checks, inventory matching and one transaction inserting every endpoint and its
  first observation;
- next sync: the same again with nothing changed (the common case every interval_seconds).

    .venv/bin/python bench/endpoints_sync.py [--count 5000] [--chunk 500] [--rounds 3] [--postgres]

Target: a sync of 5,000 endpoints under 30 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from console import migrate  # noqa: E402
from console.access.actor import Actor  # noqa: E402
from console.db import make_engine, make_session_factory, session_scope  # noqa: E402
from console.endpoints import ksc  # noqa: E402
from console.endpoints import service  # noqa: E402
from console.endpoints.config import EndpointsSettings  # noqa: E402
from console.inventory.reader import read_inventory  # noqa: E402
from console.inventory.sync import sync_inventory  # noqa: E402
from console.lab import ksc as lab_ksc  # noqa: E402
from console.settings import load_settings  # noqa: E402

TARGET_SECONDS = 30.0
PASSWORD = "bench-ksc-password"


def raw_transfer(config) -> int:
    with ksc.KscClient(config) as client:
        client.find("HostGroup.FindGroups", ksc.GROUP_FIELDS)
        return len(client.find("HostGroup.FindHosts", ksc.HOST_FIELDS))


def run(label: str, url: str, folder: Path, replay, config, rounds: int) -> dict:
    config_file = folder / f"ops-{label}.toml"
    config_file.write_text(f'[database]\nurl = "{url}"\n[paths]\nvar_dir = "{folder / "var"}"\n'
                           f'[inventory]\npath = "{REPO / "inventory"}"\n')
    settings = load_settings(config_file).model_copy(update={"endpoints": config})
    engine = make_engine(url)
    migrate.upgrade(engine)
    factory = make_session_factory(engine, settings)
    with session_scope(factory) as session:
        sync_inventory(session, Actor.cli(), settings.inventory)
    baseline, first, again = [], [], []
    for number in range(rounds):
        started = time.perf_counter()
        count = raw_transfer(config)
        baseline.append(time.perf_counter() - started)
        if number == 0:
            started = time.perf_counter()
            with session_scope(factory) as session:
                result = service.sync(session, settings, Actor.cli())
            first.append(time.perf_counter() - started)
            assert result.status == "ok" and result.added == count, result.summary()
        started = time.perf_counter()
        with session_scope(factory) as session:
            result = service.sync(session, settings, Actor.cli())
        again.append(time.perf_counter() - started)
        assert result.status == "ok" and result.added == 0, result.summary()
    engine.dispose()
    return {"database": label, "hosts": count, "baseline": statistics.median(baseline), "first": first[0],
            "next": statistics.median(again)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=5000, help="workstations the replay server makes")
    parser.add_argument("--chunk", type=int, default=500, help="[endpoints] chunk_size")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", action="store_true", help="also on a throwaway PostgreSQL")
    options = parser.parse_args()
    print(f"{platform.node()} python {platform.python_version()} {time.strftime('%Y-%m-%d %H:%M %Z')} "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    folder = Path(tempfile.mkdtemp(prefix="ops-bench-endpoints-"))
    inventory = read_inventory(REPO / "inventory")
    estate = lab_ksc.estate(lab_ksc.units_from_inventory(inventory), options.count)
    replay = lab_ksc.KscReplay(folder / "ksc", estate, PASSWORD).start()
    os.environ["OPS_BENCH_KSC_PASSWORD"] = PASSWORD
    config = EndpointsSettings(address="127.0.0.1", port=replay.port, username=lab_ksc.USERNAME,
                               password="env:OPS_BENCH_KSC_PASSWORD", pin_sha256=replay.pin,
                               chunk_size=options.chunk, timeout_seconds=60, max_answer_bytes=64 * 1024 * 1024)
    cluster = None
    rows = []
    try:
        rows.append(run("SQLite", f"sqlite:///{folder / 'endpoints.db'}", folder, replay, config, options.rounds))
        if options.postgres:
            from tests.fixtures.postgres import PostgresCluster

            cluster = PostgresCluster().start()
            rows.append(run("PostgreSQL", cluster.new_database(), folder, replay, config, options.rounds))
    finally:
        replay.stop()
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
    print("\n| database | hosts | raw transfer (baseline) | first sync | next sync | first / baseline |")
    print("|---|---|---|---|---|---|")
    passed = True
    for row in rows:
        passed = passed and max(row["first"], row["next"]) < TARGET_SECONDS
        print(f"| {row['database']} | {row['hosts']} | {row['baseline']:.2f} s | **{row['first']:.2f} s** | "
              f"{row['next']:.2f} s | {row['first'] / row['baseline']:.1f}x |")
    print(f"\ntarget sync of {options.count} endpoints < {TARGET_SECONDS:g} s: {'PASS' if passed else 'FAIL'}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
