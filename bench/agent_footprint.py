"""Benchmark: the agent's memory and CPU time per collection on this host.

Builds the collectors the agent would run from ops.toml's [agent] section
(or defaults), warms them up once, then collects COUNT reports in this
process and prints resident memory and CPU time per collection. The
baseline, measured in the same run, is a bare Python process's RSS and the
CPU time of serialising one report, so the figures can be read against the
interpreter's own floor.

    .venv/bin/python bench/agent_footprint.py [--count 20]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from probes.agent import build_collectors, collect_report  # noqa: E402
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
    args = parser.parse_args()
    config = REPO / "ops.toml"
    settings = load_agent_settings(config) if config.exists() else AgentSettings()
    collectors = build_collectors(settings)
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


if __name__ == "__main__":
    main()
