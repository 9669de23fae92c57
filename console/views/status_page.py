"""The public status page (`/status`): whether the department's online public services are up, for citizens.

Off unless `[availability] status_page = true` (404 then, as for no such page). Read-only, no sign-in (the one
page exempted from the login guard, by its endpoint: console/web/auth.py PUBLIC). It shows only the services
an admin marked `public = true`, under their `public_name`, with one of five plain states; never a service's
own name or label, its checks, addresses, URLs, causes or details. Each address may ask
`status_page_requests_per_minute` times a minute (a token bucket in memory, per console process); more
answers 429 with Retry-After. `?lang=vi|en` chooses the language.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import force_locale

from console.availability.states import shown_states
from console.models.base import utcnow
from console.web.auth import client_addr
from console.web.i18n import LANGUAGES
from console.web.runtime import db, settings

bp = Blueprint("status_page", __name__)
# What a citizen is told: a down service and one whose dependency is down are both an outage.
PUBLIC_STATE = {"up": "up", "degraded": "degraded", "down": "outage", "unreachable": "outage",
                "maintenance": "maintenance", "unknown": "unknown"}
MAX_ADDRESSES = 10000  # the buckets kept; the least recently seen address is forgotten first


class RateLimiter:
    """A token bucket per address: `per_minute` requests a minute, as a burst or spread out."""

    def __init__(self, per_minute: int):
        self.per_minute, self.rate = per_minute, per_minute / 60.0
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self.lock = threading.Lock()

    def take(self, address: str, now: float | None = None) -> float:
        """0 when the request may go on; else the seconds until it may."""
        now = time.monotonic() if now is None else now
        with self.lock:
            tokens, then = self.buckets.pop(address, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - then) * self.rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
            self.buckets[address] = (tokens - 1 if tokens >= 1 else tokens, now)
            while len(self.buckets) > MAX_ADDRESSES:
                self.buckets.popitem(last=False)
            return wait


def _limiter(per_minute: int) -> RateLimiter:
    limiter = current_app.extensions.get("status_page_limiter")
    if limiter is None or limiter.per_minute != per_minute:
        limiter = current_app.extensions["status_page_limiter"] = RateLimiter(per_minute)
    return limiter


@bp.get("/status")
def index():
    config = settings().availability
    if not config.status_page:
        abort(404)
    wait = _limiter(config.status_page_requests_per_minute).take(client_addr())
    if wait:
        seconds = str(max(1, math.ceil(wait)))
        return "Too many requests\n", 429, {"Retry-After": seconds, "Content-Type": "text/plain; charset=utf-8"}
    public = [service for service in config.services if service.public]
    now = utcnow()
    states = shown_states(db(), settings(), now) if public else {}
    rows = [(service.public_name, PUBLIC_STATE.get(states.get(service.name, ("unknown",))[0], "unknown"))
            for service in public]
    language = request.args.get("lang", "")
    if language not in LANGUAGES:
        language = settings().console.default_locale
    with force_locale(language):
        page = render_template("status_page/index.html", rows=rows, now=now, language=language)
    return page, 200, {"Cache-Control": "public, max-age=30"}
