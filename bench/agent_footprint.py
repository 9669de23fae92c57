"""Benchmark: the agent's memory and CPU time per collection on this host.

Builds the collectors the agent would run from ops.toml's [agent] section
(or defaults), warms them up once, then collects COUNT reports in this
process and prints resident memory and CPU time per collection. The
baseline, measured in the same run, is a bare Python process's RSS and the
CPU time of serialising one report, so the figures can be read against the
interpreter's own floor.

Lynis and the security-updates check run as child processes (a Lynis audit
takes tens of CPU seconds once a day; the apt cache is read in a child once an
hour), so they are left out of the per-collection figures and measured on
their own: one pending-updates check, then one full Lynis run through the
agent's collector, with the agent's own RSS sampled while it waits for Lynis
and Lynis's CPU time as its process group's rusage (`--no-lynis` skips it).

    .venv/bin/python bench/agent_footprint.py [--count 20] [--no-lynis]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from probes.agent import build_collectors, collect_report  # noqa: E402
from probes.collectors.lynis import LynisCollector  # noqa: E402
from probes.collectors.updates import UpdatesCollector  # noqa: E402
from probes.config import AgentSettings, load_agent_settings  # noqa: E402


def _cpu_with_children() -> float:
    """CPU seconds of this process and of the commands it ran (nft, ss, chronyc)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def bare_python_rss() -> int:
    code = "import psutil; print(psutil.Process().memory_info().rss)"
    return int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--no-lynis", action="store_true", help="skip the full Lynis run")
    args = parser.parse_args()
    config = REPO / "ops.toml"
    settings = load_agent_settings(config) if config.exists() else AgentSettings()
    collectors = [c for c in build_collectors(settings) if not isinstance(c, (LynisCollector, UpdatesCollector))]
    collect_report(collectors, "bench", 60)  # warm-up: imports, first psutil reads
    cpu, wall = [], []
    for _ in range(args.count):
        started_cpu, started_wall = _cpu_with_children(), time.perf_counter()
        report = collect_report(collectors, "bench", 60)
        cpu.append(_cpu_with_children() - started_cpu)
        wall.append(time.perf_counter() - started_wall)
    rss = psutil.Process().memory_info().rss
    started = time.process_time()
    for _ in range(args.count):
        json.dumps(report)
    serialise = (time.process_time() - started) / args.count
    baseline_rss = bare_python_rss()
    cpu.sort()
    names = ", ".join(c.name for c in collectors)
    print(f"machine: {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{datetime.now(timezone.utc):%Y-%m-%d}; collectors: {names}; errors in last report: "
          f"{[e['collector'] for e in report['errors']]}")
    print(f"agent RSS after {args.count} collections: {rss / 2**20:.1f} MiB "
          f"(bare Python with psutil: {baseline_rss / 2**20:.1f} MiB, ratio {rss / baseline_rss:.2f}x)")
    print(f"CPU per collection (the agent and the commands it runs): median {1000 * cpu[len(cpu) // 2]:.1f} ms, max {1000 * cpu[-1]:.1f} ms "
          f"(wall median {1000 * sorted(wall)[len(wall) // 2]:.0f} ms, of which 200 ms is the CPU-usage sample); "
          f"baseline JSON encode of the report {1000 * serialise:.2f} ms, ratio {cpu[len(cpu) // 2] / serialise:.0f}x")
    with tempfile.TemporaryDirectory() as folder:
        updates_check(Path(folder))
        if not args.no_lynis:
            lynis_run(Path(folder))


def updates_check(folder: Path) -> None:
    """One pending-security-updates check (a child reads apt's cache): its CPU and the agent's RSS after it."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    section = UpdatesCollector(folder, python=sys.executable).collect()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    child_cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    print(f"security-updates check ({section['source'] if section else 'no apt'}): child CPU {child_cpu:.2f} s, "
          f"wall {time.perf_counter() - started:.2f} s, {section['security_pending_count'] if section else 0} pending; "
          f"agent RSS after it {psutil.Process().memory_info().rss / 2**20:.1f} MiB")


def lynis_run(folder: Path) -> None:
    """One full Lynis run through the agent's collector; Lynis's CPU apart from the agent's."""
    collector = LynisCollector(folder, timeout_seconds=1800)
    own = resource.getrusage(resource.RUSAGE_SELF)
    started, peak, section = time.perf_counter(), 0, None
    while section is None and time.perf_counter() - started < 1800:
        section = collector.collect()
        peak = max(peak, psutil.Process().memory_info().rss)
        time.sleep(1)
    own_after = resource.getrusage(resource.RUSAGE_SELF)
    agent_cpu = own_after.ru_utime + own_after.ru_stime - own.ru_utime - own.ru_stime
    if not section or not section.get("installed"):
        print("lynis: not installed or no result")
        return
    print(f"lynis run: Lynis CPU {section['cpu_seconds']:.1f} s (its process group), wall {section['duration_seconds']:.0f} s, "
          f"index {section['hardening_index']}, {len(section['warnings'])} warnings, {len(section['suggestions'])} "
          f"suggestions; the agent meanwhile: CPU {agent_cpu:.2f} s, peak RSS {peak / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
