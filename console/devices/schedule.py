"""The devices' clock (console/common/schedule.py): every minute, the devices whose interval_seconds has passed
are polled (console.devices.service.poll_due)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.common.schedule import Job, scheduled
from console.db import make_engine, make_session_factory, session_scope
from console.devices import service as devices

if TYPE_CHECKING:  # annotations only: settings assembles the areas' config sections, above them
    from console.settings import Settings


def poll_devices(settings: Settings, factory=None) -> None:
    factory = factory or make_session_factory(make_engine(settings.database_url), settings)
    with session_scope(factory) as session:
        devices.poll_due(session, settings)


@scheduled("devices-poll")
def _poll(settings: Settings, factory) -> Job:
    return Job(poll_devices, "interval", (settings, factory), every={"minutes": 1})
