"""CPU per test, daemons included: `scripts/run-tests.sh -p tests.plugins.cpu_per_test` (docs/testing.md, Timings).

Each pytest process (each xdist worker) moves itself into a cgroup v1 cpuacct group of its own; everything it
starts (ansible, sshd in the lab's namespaces, Suricata, PostgreSQL, chromium) stays in that group, so the group's
counter before and after a test is the CPU the test cost, whatever ran beside it on the other workers. Wall
time on a loaded machine says little; this says where the work is. One line per test, `nodeid<TAB>cpu
s<TAB>wall s`, in OPS_TEST_CPU_DIR (default /tmp/ops-test-cpu)/<worker>.tsv; `python -m tests.plugins.cpu_per_test`
sums them by file. Needs root and /sys/fs/cgroup/cpuacct; without them it does nothing.
"""

from __future__ import annotations

import collections
import os
import sys
import time
from pathlib import Path

import pytest

BASE = Path("/sys/fs/cgroup/cpuacct")
_group: Path | None = None
_out = None


def _usage() -> float:
    return int((_group / "cpuacct.usage").read_text()) / 1e9


def pytest_configure(config):
    global _group, _out
    if os.environ.get("PYTEST_XDIST_WORKER") is None and getattr(config.option, "numprocesses", None):
        return  # the xdist controller runs no test
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    try:
        group = BASE / f"ops-tests-{worker}-{os.getpid()}"
        group.mkdir(exist_ok=True)
        (group / "cgroup.procs").write_text(str(os.getpid()))
    except OSError:
        return
    folder = Path(os.environ.get("OPS_TEST_CPU_DIR", "/tmp/ops-test-cpu"))
    folder.mkdir(parents=True, exist_ok=True)
    _group, _out = group, open(folder / f"{worker}-{os.getpid()}.tsv", "a", buffering=1)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    if _group is None:
        yield
        return
    cpu, wall = _usage(), time.monotonic()
    yield
    _out.write(f"{item.nodeid}\t{_usage() - cpu:.2f}\t{time.monotonic() - wall:.2f}\n")


def summary(folder: Path, top: int = 30) -> str:
    by_file, count, wall = collections.Counter(), collections.Counter(), collections.Counter()
    for path in folder.glob("*.tsv"):
        for line in path.read_text().splitlines():
            nodeid, cpu, seconds = line.split("\t")
            name = nodeid.split("::")[0]
            by_file[name] += float(cpu)
            wall[name] += float(seconds)
            count[name] += 1
    lines = [f"{sum(by_file.values()):.0f} s of CPU in {sum(count.values())} tests", "cpu s  wall s  tests  file"]
    lines += [f"{cpu:6.0f} {wall[name]:7.0f} {count[name]:6d}  {name}" for name, cpu in by_file.most_common(top)]
    return "\n".join(lines)


if __name__ == "__main__":
    print(summary(Path(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("OPS_TEST_CPU_DIR", "/tmp/ops-test-cpu"))))
