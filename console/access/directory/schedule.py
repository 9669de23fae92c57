"""The directory's clock (console/common/schedule.py): with [auth.ldap] enabled, every recheck_minutes each
directory account is looked up again, and who left every mapped group loses tokens and sessions (issue 20)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from console.access.actor import Actor
from console.access.directory.accounts import recheck_all
from console.common.schedule import Job, scheduled
from console.db import make_engine, make_session_factory, session_scope

if TYPE_CHECKING:  # annotations only: settings assembles the areas' config sections, above them
    from console.settings import Settings

log = logging.getLogger("ops.scheduler")


def recheck_directory(settings: Settings, factory=None):
    """Directory accounts looked up again: who left every mapped group loses tokens and sessions (issue 20)."""
    factory = factory or make_session_factory(make_engine(settings.database_url), settings)
    with session_scope(factory) as session:
        result = recheck_all(session, settings.auth.ldap, Actor.scheduler())
    log.info("directory re-check: %s", result)
    return result


@scheduled("directory-recheck")
def _recheck(settings: Settings, factory) -> Job | None:
    if not settings.auth.ldap.enabled:
        return None
    return Job(recheck_directory, "interval", (settings, factory), every={"minutes": settings.auth.ldap.recheck_minutes})
