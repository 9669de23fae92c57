"""Remediations moved on by the clock (console/common/schedule.py): every REMEDIATION_SECONDS, a check or apply
job that ended, a verification whose hosts have reported (issue 19)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from console.common.schedule import Job, scheduled
from console.compliance.catalog import configured_catalog
from console.db import make_engine, make_session_factory
from console.remediation import service as remediation

if TYPE_CHECKING:  # annotations only: settings assembles the areas' config sections, above them
    from console.settings import Settings

log = logging.getLogger("ops.scheduler")
REMEDIATION_SECONDS = 10


def advance_remediations(settings: Settings, factory=None, catalog=None) -> int:
    """Remediations moved on: ended check and apply jobs, verifications once the agents have reported (issue 19)."""
    factory = factory or make_session_factory(make_engine(settings.database_url), settings)
    moved = remediation.advance(factory, settings, catalog or configured_catalog(settings))
    if moved:
        log.info("remediations: %s moved on", moved)
    return moved


@scheduled("remediation-advance")
def _advance(settings: Settings, factory) -> Job:
    return Job(advance_remediations, "interval", (settings, factory, configured_catalog(settings)),
               every={"seconds": REMEDIATION_SECONDS})
