"""The endpoints' clock (console/common/schedule.py): every minute, when KSC is configured, its hosts once
[endpoints] interval_seconds has passed, and the addresses the IDS has newly seen."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from console.common.schedule import Job, scheduled
from console.db import make_engine, make_session_factory, session_scope
from console.endpoints import coverage, service as endpoints

if TYPE_CHECKING:  # annotations only: settings assembles the areas' config sections, above them
    from console.settings import Settings

log = logging.getLogger("ops.scheduler")


def sync_endpoints(settings: Settings, factory=None) -> None:
    """KSC's hosts when [endpoints] interval_seconds has passed, and the IDS's newly seen addresses (console/endpoints)."""
    factory = factory or make_session_factory(make_engine(settings.database_url), settings)
    with session_scope(factory) as session:
        result = endpoints.sync_due(session, settings)
        coverage.refresh_seen(session, settings)
    if result is not None:
        (log.info if result.status == "ok" else log.warning)("endpoints: %s", result.summary())


@scheduled("endpoints-sync")
def _sync(settings: Settings, factory) -> Job | None:
    if not settings.endpoints.configured:
        return None
    return Job(sync_endpoints, "interval", (settings, factory), every={"minutes": 1})
