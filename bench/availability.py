"""Benchmark: 1,000 HTTP(S) checks a minute by the console's check runner, against local servers.

A fresh SQLite database migrated with console.migrate, an ops.toml in a temp folder with --checks HTTP(S)
checks (10 per service; half plain HTTP, half HTTPS with a certificate of a CA made here, console.lab.services'
make_certificates) every --interval seconds, so --checks x 60 / --interval checks a minute. The servers are
console.lab.service_server (Python's threaded http.server) on 127.0.0.1, in processes of their own, as a
department's servers are. Their first due times are spread over the first interval (a console that has been
running a while), then the runner keeps each check's own phase.

The runner is the scheduler's job, console.availability.schedule.check_availability's body: runner.run_due every
AVAILABILITY_TICK_SECONDS (5 s), in this process, for --minutes. Figures:

- the console's CPU: this process's CPU time (all its threads: the check threads, the database writes, the
  state evaluation) per minute of wall time, and as a fraction of one core;
- lateness: for each check, when it started (in the runner's thread) minus when it was due (its next_due_at);
  p50 / p99 / max;
- baseline, in the same run: the same number of requests to the same URLs by a bare httpx loop (httpx.get, one
  connection each, one TLS context per CA file made once), its CPU time; the ratio of the runner's CPU to it.

    .venv/bin/python bench/availability.py [--checks 1000] [--interval 60] [--minutes 2] [--tick 5]

Targets (issue 31): at most 0.2 of a core; p99 lateness < 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402

from console import migrate  # noqa: E402
from console.availability import runner  # noqa: E402
from console.availability.checks import run_check  # noqa: E402
from console.db import make_engine, make_session_factory, session_scope  # noqa: E402
from console.lab.services import make_certificates  # noqa: E402
from console.models.availability import AvailabilityCheckState  # noqa: E402
from console.models.base import utcnow  # noqa: E402
from console.availability.schedule import AVAILABILITY_TICK_SECONDS  # noqa: E402
from console.settings import load_settings  # noqa: E402

PER_SERVICE = 10


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_servers(folder: Path) -> tuple[list[subprocess.Popen], int, int]:
    root = folder / "www"
    root.mkdir()
    (root / "index.html").write_text("<!doctype html><meta charset=utf-8><h1>Dịch vụ công</h1>\n", encoding="utf-8")
    make_certificates(folder, "127.0.0.1", utcnow())
    http_port, https_port = free_port(), free_port()
    specs = [{"address": "127.0.0.1", "port": http_port, "root": str(root)},
             {"address": "127.0.0.1", "port": https_port, "root": str(root), "cert": str(folder / "motcua.crt"),
              "key": str(folder / "motcua.key")}]
    processes = [subprocess.Popen([sys.executable, "-m", "console.lab.service_server", json.dumps(spec)],
                                  cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for spec in specs]
    for process in processes:
        process.stdout.readline()  # "serving on ..."
    return processes, http_port, https_port


def write_config(folder: Path, checks: int, interval: int, http_port: int, https_port: int) -> Path:
    ca = json.dumps(str(folder / "ca.crt"))
    lines = [f'[console]\nsecret_key = "bench-secret-key-not-for-production"\n'
             f'[database]\nurl = "sqlite:///{folder / "bench.db"}"\n[paths]\nvar_dir = "{folder / "var"}"\n'
             f'[inventory]\npath = "{REPO / "inventory"}"\n[availability]\n']
    for number in range(checks // PER_SERVICE):
        lines.append(f'[[availability.services]]\nname = "service-{number:04d}"\n')
        for index in range(PER_SERVICE):
            secure = index % 2
            url = (f"https://127.0.0.1:{https_port}/?c={number}-{index}" if secure
                   else f"http://127.0.0.1:{http_port}/?c={number}-{index}")
            lines.append(f'[[availability.services.checks]]\nname = "check-{index}"\nkind = "http"\nurl = "{url}"\n'
                         f'expect_text = "Dịch vụ công"\ninterval_seconds = {interval}\ntimeout_seconds = 10\n'
                         + (f"ca_file = {ca}\n" if secure else ""))
    path = folder / "ops.toml"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def seed_phases(factory, settings, interval: int) -> None:
    """Every check's first due time spread over the first interval, as in a console running for a while."""
    pairs = [(service, check) for service in settings.availability.services for check in service.checks]
    start = utcnow() + timedelta(seconds=1)
    with session_scope(factory) as session:
        for number, (service, check) in enumerate(pairs):
            session.add(AvailabilityCheckState(service=service.name, check_name=check.name, kind="http",
                                               consecutive_failures=0, facts={},
                                               next_due_at=start + timedelta(seconds=interval * number / len(pairs))))


def due_times(factory) -> dict:
    with session_scope(factory) as session:
        return {(row.service, row.check_name): row.next_due_at for row in session.query(AvailabilityCheckState)}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(len(ordered) * share)) - 1))]


def run_console(factory, settings, minutes: float, tick_seconds: float) -> dict:
    lateness, outcomes = [], {}
    lock = threading.Lock()
    service_of = {id(check): service.name for service in settings.availability.services for check in service.checks}

    def timed(check, config):
        started = utcnow()
        due = dues.get((service_of[id(check)], check.name))
        result = run_check(check, config)
        with lock:
            if due is not None:
                lateness.append((started - due).total_seconds())
            outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
        return result

    cpu0, wall0 = time.process_time(), time.monotonic()
    end = wall0 + minutes * 60
    ran = 0
    while time.monotonic() < end:
        tick = time.monotonic()
        dues = due_times(factory)
        ran += runner.run_due(factory, settings, runner=timed)
        time.sleep(max(0.0, tick_seconds - (time.monotonic() - tick)))
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    return {"ran": ran, "cpu": cpu, "wall": wall, "lateness": lateness, "outcomes": outcomes}


def run_baseline(settings, count: int) -> dict:
    import ssl

    checks = [check for service in settings.availability.services for check in service.checks]
    contexts = {}
    cpu0, wall0 = time.process_time(), time.monotonic()
    for number in range(count):
        check = checks[number % len(checks)]
        key = str(check.ca_file)
        if key not in contexts:
            contexts[key] = ssl.create_default_context(cafile=str(check.ca_file) if check.ca_file else None)
        response = httpx.get(check.url, verify=contexts[key], timeout=10, trust_env=False)
        assert response.status_code == 200 and "Dịch vụ công" in response.text
    return {"cpu": time.process_time() - cpu0, "wall": time.monotonic() - wall0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checks", type=int, default=1000)
    parser.add_argument("--interval", type=int, default=60)
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--tick", type=float, default=AVAILABILITY_TICK_SECONDS,
                        help="seconds between two rounds of the runner (default: the scheduler's)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ops-bench-availability-") as temp:
        folder = Path(temp)
        processes, http_port, https_port = start_servers(folder)
        try:
            config = write_config(folder, options.checks, options.interval, http_port, https_port)
            settings = load_settings(config)
            engine = make_engine(settings.database.url.get_secret_value())
            migrate.upgrade(engine)
            factory = make_session_factory(engine, settings)
            seed_phases(factory, settings, options.interval)
            console = run_console(factory, settings, options.minutes, options.tick)
            baseline = run_baseline(settings, console["ran"])
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=10)
    minutes = console["wall"] / 60
    per_minute = console["ran"] / minutes
    cpu_per_minute = console["cpu"] / minutes
    base_per_minute = baseline["cpu"] / minutes
    late = console["lateness"]
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
          f", load average {os.getloadavg()[0]:.1f}")
    print(f"runner round every {options.tick:g} s; checks: {options.checks} every {options.interval} s over {console['wall']:.0f} s: {console['ran']} ran "
          f"({per_minute:.0f} a minute), outcomes {console['outcomes']}")
    print(f"console CPU: {cpu_per_minute:.2f} s a minute = {cpu_per_minute / 60:.3f} of a core")
    print(f"lateness (start - due): p50 {statistics.median(late):.2f} s, p99 {percentile(late, 0.99):.2f} s, "
          f"max {max(late):.2f} s over {len(late)} checks")
    print(f"baseline (bare httpx loop, same {console['ran']} requests): CPU {baseline['cpu']:.2f} s "
          f"(= {base_per_minute:.2f} s a minute of the run, {base_per_minute / 60:.3f} of a core), "
          f"wall {baseline['wall']:.1f} s")
    print(f"ratio console / baseline CPU: {console['cpu'] / baseline['cpu']:.2f}x")


if __name__ == "__main__":
    main()
