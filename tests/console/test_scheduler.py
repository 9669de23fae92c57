"""Nightly scheduling: the scheduler's jobs follow ops.toml; a scheduled run stores its run and reports; the jobs
are those the areas register (console/common/schedule.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from console.common import schedule
from console.scheduler import build_scheduler
from console.models import ComplianceRun
from console.settings import load_settings
from tests.console.compliance.helpers import ops


def test_scheduler_runs_compliance_at_the_configured_local_time(config_file):
    config_file.write_text(config_file.read_text() + '[compliance]\nrun_at = "03:15"\n')
    scheduler = build_scheduler(load_settings(config_file))
    jobs = {job.id: job for job in scheduler.get_jobs()}
    # devices are polled every minute between runs; the notification outbox is sent every 2 s;
    # remediations move on every 10 s
    assert set(jobs) == {"compliance-nightly", "devices-poll", "notify-deliver", "remediation-advance"}
    trigger = str(jobs["compliance-nightly"].trigger)
    assert "hour='3'" in trigger and "minute='15'" in trigger
    assert str(scheduler.timezone) == "Asia/Ho_Chi_Minh"


def test_a_job_an_area_registers_is_scheduled_unless_its_settings_turn_it_off(config_file, monkeypatch):
    monkeypatch.setattr(schedule, "PLANNERS", dict(schedule.PLANNERS))
    ran = []

    @schedule.scheduled("test-every-hour")
    def _hourly(settings, factory):
        return schedule.Job(ran.append, "interval", ("hourly",), every={"hours": 1})

    @schedule.scheduled("test-off")
    def _off(settings, factory):
        return None

    jobs = {job.id: job for job in build_scheduler(load_settings(config_file)).get_jobs()}
    assert "test-off" not in jobs and "compliance-nightly" in jobs
    hourly = jobs["test-every-hour"]
    assert str(hourly.trigger) == "interval[1:00:00]" and (hourly.max_instances, hourly.coalesce) == (1, True)
    hourly.func(*hourly.args)
    assert ran == ["hourly"]
    with pytest.raises(ValueError, match="'test-every-hour' is already registered"):
        schedule.scheduled("test-every-hour")(lambda settings, factory: None)


def test_scheduled_run_once_stores_a_schedule_run_and_writes_reports(config_file, tmp_path, session_factory, synced):
    config_file.write_text(config_file.read_text() + f'[compliance]\nreport_dir = "{tmp_path / "nightly"}"\n'
                                                      'report_formats = ["csv", "junit"]\n')
    result = ops(config_file, "scheduler", "run", "--once")
    assert result.exit_code == 0, result.output
    with session_factory() as session:
        run = session.scalars(select(ComplianceRun)).one()
    assert (run.trigger, run.actor) == ("schedule", "scheduler")
    assert sorted(p.name for p in (tmp_path / "nightly").iterdir()) == [
        f"compliance-run-{run.id}.csv", f"compliance-run-{run.id}.junit.xml"]


def test_systemd_timer_and_service_are_shipped_and_valid():
    import subprocess
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "systemd"
    timer, service = (folder / "ops-compliance.timer").read_text(), (folder / "ops-compliance.service").read_text()
    assert "OnCalendar=*-*-* 02:30:00" in timer and "Persistent=true" in timer
    assert "ops compliance run --trigger schedule" in service and "SuccessExitStatus=1" in service
    checked = subprocess.run(["systemd-analyze", "calendar", "*-*-* 02:30:00"], capture_output=True, text=True,
                             timeout=30)
    assert checked.returncode == 0, checked.stderr
