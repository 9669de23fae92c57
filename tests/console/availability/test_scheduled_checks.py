"""The checks run from the console's scheduler, off any request: its job exists once services are declared, and a
tick runs what is due and records it."""

from __future__ import annotations

import sys

from sqlalchemy import select

from console.db import session_scope
from console.models.availability import AvailabilityCheckState
from console.availability.schedule import check_availability
from console.scheduler import build_scheduler
from console.settings import load_settings

LISTENER = "import socket; s = socket.socket(); s.bind(('0.0.0.0', 8080)); s.listen(); print('ready', flush=True); " \
           "import threading; threading.Event().wait()"


def test_the_scheduler_runs_due_checks_every_few_seconds(config_file, engine, service_net):
    from console.db import make_session_factory

    net = service_net()
    net.start([sys.executable, "-c", LISTENER])
    assert "availability-checks" not in {job.id for job in build_scheduler(load_settings(config_file)).get_jobs()}
    config_file.write_text(config_file.read_text() + f"""
[[availability.services]]
name = "intranet"

[[availability.services.checks]]
name = "port"
kind = "tcp"
host = "{net.address}"
port = 8080

[[availability.services.checks]]
name = "closed"
kind = "tcp"
host = "{net.address}"
port = 8081
""")
    settings = load_settings(config_file)
    job = next(job for job in build_scheduler(settings).get_jobs() if job.id == "availability-checks")
    assert job.trigger.interval.total_seconds() == 1 and job.max_instances == 1  # p99 lateness < 2 s (bench)
    factory = make_session_factory(engine, settings)
    assert check_availability(settings, factory) == 2
    assert check_availability(settings, factory) == 0  # not due again for 60 s
    with session_scope(factory) as session:
        states = {row.check_name: (row.last_outcome, row.consecutive_failures)
                  for row in session.scalars(select(AvailabilityCheckState))}
    assert states == {"port": ("ok", 0), "closed": ("fail", 1)}
