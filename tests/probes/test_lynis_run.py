"""A real Lynis run (Debian's lynis package) through the collector, bounded in time.

One full audit takes about 40 s of CPU here; the run is niced, in its own
process group, and the test gives it at most RUN_LIMIT seconds.
"""

from __future__ import annotations

import os
import time

import pytest

from probes.collectors import CollectorFailed
from probes.collectors.lynis import PID_FILE, LynisCollector
from probes.report import Lynis

RUN_LIMIT = 600


def wait_for_result(collector: LynisCollector, limit: float):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        section = collector.collect()
        if section is not None:
            return section
        time.sleep(1)
    collector.stop()
    raise AssertionError(f"no Lynis result within {limit} s")


def start_when_free(collector: LynisCollector, limit: float) -> None:
    """Start a run; another Lynis on this machine (a lab host's) holds /var/run/lynis.pid until it ends."""
    deadline = time.monotonic() + limit
    while not collector.running():
        assert collector.collect() is None
        assert time.monotonic() < deadline, "another Lynis run kept the PID file"
        time.sleep(1)


@pytest.mark.external  # runs the real Lynis (about a minute of CPU)
def test_real_lynis_run_gives_a_bounded_section_from_its_report_file(tmp_path):
    collector = LynisCollector(tmp_path, interval_hours=24, timeout_seconds=RUN_LIMIT)
    try:
        start_when_free(collector, RUN_LIMIT)
        pid = collector.process.pid
        time.sleep(0.5)  # nice(1) sets the priority, then execs Lynis in the same process
        assert os.getpriority(os.PRIO_PROCESS, pid) == 19
        assert os.getpgid(pid) == pid  # its own process group
        assert collector.collect() is None and collector.process.pid == pid  # one run at a time
        section = wait_for_result(collector, RUN_LIMIT)
    finally:
        collector.stop()
    Lynis.model_validate(section)
    assert section["installed"] and 0 <= section["hardening_index"] <= 100
    assert section["lynis_version"].startswith("3.")
    assert section["tests_performed"] > 100
    assert all(item["test_id"] for item in section["warnings"] + section["suggestions"])
    assert section["cpu_seconds"] > 1  # Lynis's own CPU, not the agent's
    assert (tmp_path / "lynis" / "lynis-report.dat").exists() and (tmp_path / "lynis" / "lynis.log").exists()
    assert not PID_FILE.exists() or PID_FILE.read_text().strip() != str(pid)  # Lynis removed its PID file
    # Not due again for 24 h, also for a new collector (an agent restarted).
    assert collector.collect() is None and not collector.running()
    assert LynisCollector(tmp_path, interval_hours=24).collect() is None


def group_ends(group: int, limit: float) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


HANGING = """#!/bin/sh
# Stands in for a Lynis that hangs (one cannot be made to on demand): it starts a child and waits.
sleep 300 &
echo $$ > "$PID_FILE_FOR_TEST"
wait
"""


def test_a_run_past_its_time_limit_is_killed_with_its_process_group(tmp_path, monkeypatch):
    script = tmp_path / "hanging-lynis"
    script.write_text(HANGING)
    script.chmod(0o755)
    pid_file = tmp_path / "lynis.pid"
    monkeypatch.setenv("PID_FILE_FOR_TEST", str(pid_file))
    now = [1000.0]
    collector = LynisCollector(tmp_path / "state", timeout_seconds=1, lynis=str(script), pid_file=pid_file,
                               monotonic=lambda: now[0])
    try:
        assert collector.collect() is None
        group = collector.process.pid
        now[0] += 2  # two seconds on the run's clock: past its limit
        with pytest.raises(CollectorFailed, match="longer than 1 s"):
            collector.collect()
    finally:
        collector.stop()
    assert not collector.running()
    assert group_ends(group, 5)  # the child it started is gone too (once init reaps it)
    assert not pid_file.exists()  # a killed run leaves no PID file to block the next one


def test_a_stale_lynis_pid_file_is_removed_and_a_live_one_waited_for(tmp_path):
    pid_file = tmp_path / "lynis.pid"
    pid_file.write_text("999999999\n")  # no such process
    collector = LynisCollector(tmp_path / "state", lynis="/bin/true", pid_file=pid_file)
    assert collector.collect() is None and collector.running()
    assert not pid_file.exists()
    collector.stop()
    busy = LynisCollector(tmp_path / "other", lynis="/bin/true", pid_file=pid_file)
    pid_file.write_text("1\n")  # a live process (init) that is not Lynis: stale as well
    assert busy.collect() is None and busy.running()
    busy.stop()
