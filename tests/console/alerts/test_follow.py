"""The follower: rename rotation, copytruncate, restart while rotated, SIGKILL with no loss and no duplicate."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from sqlalchemy import func, select

from console.models import Alert
from console.alerts.follow import Follower
from console.alerts.health import problem_totals
from tests.console.alerts.conftest import alert_lines, alerts_settings, renumbered


def _alerts(factory) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(Alert))


def _distinct_alerts(factory) -> int:
    with factory() as session:
        return session.scalar(select(func.count(func.distinct(Alert.record))))


def test_rename_rotation_finishes_the_old_file_then_reads_the_new_one(factory, suricata_eve, tmp_path):
    lines = suricata_eve.read_bytes().splitlines()
    eve = tmp_path / "eve.json"
    eve.write_bytes(b"\n".join(lines[:20]) + b"\n")
    with Follower(factory, alerts_settings([eve]), "s") as follower:
        follower.poll_once()
        with open(eve, "ab") as handle:  # written after the last poll, before the rotation
            handle.write(b"\n".join(lines[20:]) + b"\n")
        eve.rename(tmp_path / "eve.json.1")
        eve.write_bytes(b"\n".join(renumbered(lines, 1)) + b"\n")
        follower.poll_once()
        follower.poll_once()
    assert _alerts(factory) == _distinct_alerts(factory) == 2 * len(alert_lines(suricata_eve))


def test_rotation_while_the_follower_was_down_is_caught_up_after_restart(factory, suricata_eve, tmp_path):
    lines = suricata_eve.read_bytes().splitlines()
    eve = tmp_path / "eve.json"
    eve.write_bytes(b"\n".join(lines[:30]) + b"\n")
    Follower(factory, alerts_settings([eve]), "s").run(exit_when_idle=True)
    with open(eve, "ab") as handle:
        handle.write(b"\n".join(lines[30:]) + b"\n")
    eve.rename(tmp_path / "eve.json.1")
    eve.write_bytes(b"\n".join(renumbered(lines, 2)) + b"\n")
    Follower(factory, alerts_settings([eve]), "s").run(exit_when_idle=True)
    assert _alerts(factory) == _distinct_alerts(factory) == 2 * len(alert_lines(suricata_eve))


def test_copytruncate_is_followed_from_the_start_of_the_truncated_file(factory, suricata_eve, tmp_path):
    lines = suricata_eve.read_bytes().splitlines()
    eve = tmp_path / "eve.json"
    eve.write_bytes(b"\n".join(lines) + b"\n")
    with Follower(factory, alerts_settings([eve]), "s") as follower:
        follower.poll_once()
        (tmp_path / "eve.json.1").write_bytes(eve.read_bytes())  # logrotate's copy ...
        with open(eve, "r+b") as handle:  # ... then truncate in place
            handle.truncate(0)
        follower.poll_once()
        with open(eve, "ab") as handle:
            handle.write(b"\n".join(renumbered(lines[:10], 3)) + b"\n")
        follower.poll_once()
    expected = len(alert_lines(suricata_eve)) + sum(b'"alert"' in line for line in lines[:10])
    assert _alerts(factory) == _distinct_alerts(factory) == expected


def test_a_file_replaced_under_the_follower_is_read_again_and_counted(factory, suricata_eve, tmp_path):
    lines = suricata_eve.read_bytes().splitlines()
    eve = tmp_path / "eve.json"
    eve.write_bytes(b"\n".join(lines[:10]) + b"\n")
    with Follower(factory, alerts_settings([eve]), "s") as follower:
        follower.poll_once()
        with open(eve, "r+b") as handle:  # same inode, other content, longer than before
            handle.write(b"\n".join(renumbered(lines, 4)) + b"\n")
        follower.poll_once()
    with factory() as session:
        assert problem_totals(session) == {"file_replaced": 1}
    assert _alerts(factory) == len(alert_lines(suricata_eve)) + sum(b'"alert"' in line for line in lines[:10])


def test_sigkill_mid_file_then_restart_loses_nothing_and_stores_nothing_twice(config_file, factory, suricata_eve,
                                                                            tmp_path):
    lines = suricata_eve.read_bytes().splitlines()
    eve = tmp_path / "big-eve.json"
    with open(eve, "wb") as handle:
        for copy in range(400):
            handle.write(b"\n".join(renumbered(lines, copy)) + b"\n")
    expected = 400 * len(alert_lines(suricata_eve))
    with open(config_file, "a") as handle:
        handle.write(f'[alerts]\neve_files = ["{eve}"]\nbatch_size = 200\n')
    command = [sys.executable, "-m", "console.cli", "-c", str(config_file), "alerts", "follow", "--exit-when-idle"]
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while _alerts(factory) < expected // 4 and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.02)
        os.kill(first.pid, signal.SIGKILL)
    finally:
        first.wait(timeout=30)
    assert 0 < _alerts(factory) < expected, "the follower was not killed mid-file"
    second = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr
    assert _alerts(factory) == _distinct_alerts(factory) == expected
