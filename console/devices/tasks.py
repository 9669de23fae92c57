"""Devices' background work, registered with the task queue: "Poll now" of one device."""

from __future__ import annotations

from console.db import session_scope
from console.tasks.registry import register


def device_poll(settings, factory, actor, params: dict, progress) -> dict:
    from console.devices import service as devices

    with session_scope(factory) as session:
        polled = devices.poll_one(session, settings, params["name"], actor)
    return {"name": polled.name, "status": polled.status, "reason": polled.reason,
            "collected_at": polled.collected_at.isoformat()}


register("devices.poll", "devices.poll", "poll one device", device_poll)
