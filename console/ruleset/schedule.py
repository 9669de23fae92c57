"""The rule manager's clock: the daily update of the url sources at [rules] update_at (console/common/schedule.py).

Claimed once across the console nodes under `rules.update:<date>`; a failed update leaves the active version.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from console.access.actor import Actor
from console.common.schedule import Job, daily_at, scheduled
from console.tasks import work as tasks

if TYPE_CHECKING:  # annotations only: settings assembles the areas' config sections, above them
    from console.settings import Settings

log = logging.getLogger("ops.scheduler")


def scheduled_rules_update(settings: Settings, day: date | None = None):
    """The daily update of the rule sources at [rules] update_at, once across the nodes; the task, or None."""
    day = day or datetime.now(ZoneInfo(settings.console.timezone)).date()
    task = tasks.run_once(settings, Actor.scheduler(), "rules.update", {}, f"rules.update:{day.isoformat()}")
    if task is None:
        log.info("rules update of %s: already claimed by another node", day)
    elif task.state.value != "done":
        log.warning("rules update of %s failed, the active version stays: %s", day, task.error)
    else:
        log.info("rules update of %s: %s", day, task.result)
    return task


@scheduled("rules-update")
def _update(settings: Settings, factory) -> Job | None:
    if not settings.rules.update_at:
        return None
    return Job(scheduled_rules_update, daily_at(settings.rules.update_at, settings.console.timezone), (settings,),
               misfire_grace_time=3600)
