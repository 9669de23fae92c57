"""One module per check kind; `run_check` runs one check and always answers with a CheckResult.

Every remote answer is treated as hostile: each kind bounds its time (the
check's timeout_seconds, as a deadline over the whole exchange) and what it
reads (an HTTP body at [availability] max_body_bytes), and turns every
failure into a short reason on the result. No exception leaves `run_check`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

log = logging.getLogger("ops.availability")
MAX_DETAIL = 300


@dataclass
class CheckResult:
    outcome: str  # "ok", "degraded" (answers, but slow or a certificate near expiry) or "fail"
    detail: str = ""  # why it is not ok, in a line; "" when ok
    response_ms: float | None = None
    facts: dict = field(default_factory=dict)  # status_code, certificate_days_left, tls_version, loss_percent ...

    def __post_init__(self) -> None:
        self.detail = " ".join(str(self.detail).split())[:MAX_DETAIL]


def ok(response_ms: float | None = None, **facts) -> CheckResult:
    return CheckResult("ok", "", response_ms, facts)


def failed(detail: str, response_ms: float | None = None, **facts) -> CheckResult:
    return CheckResult("fail", detail, response_ms, facts)


def elapsed_ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


def run_check(check, settings) -> CheckResult:
    """Run `check` (a CheckConfig) with the [availability] settings; a CheckResult whatever the remote end does."""
    from console.availability.checks import dns, http, icmp, tcp, tls

    runner = {"http": http.run, "tls": tls.run, "dns": dns.run, "tcp": tcp.run, "icmp": icmp.run}[check.kind]
    try:
        return runner(check, settings)
    except Exception as exc:  # a library's surprise must not stop the round: the check fails with its name
        log.warning("%s check %s failed unexpectedly: %s", check.kind, check.name, type(exc).__name__)
        return failed(f"check error: {type(exc).__name__}")
