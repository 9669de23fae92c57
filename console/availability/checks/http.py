"""HTTP(S): the status, a text in the body, the time to the whole answer (httpx).

The body is read up to [availability] max_body_bytes and the whole exchange
must end within the check's timeout (a server dripping bytes is cut off at the
deadline). Redirects are followed, at most five. An https URL is verified
against ca_file or the system's CAs.
"""

from __future__ import annotations

import functools
import os
import ssl
import time

import httpx

from console.availability.checks import CheckResult, elapsed_ms, failed, ok

MAX_REDIRECTS = 5


def client_context(check) -> ssl.SSLContext:
    """The check's TLS context: made once per CA file (and its modification time), not at every check.

    Loading the system's CA bundle costs milliseconds of CPU each time; a context is safe to share between
    the runner's threads (bench/availability.py measured the difference, docs/performance.md)."""
    cafile = str(check.ca_file) if check.ca_file else None
    try:
        stamp = os.stat(cafile).st_mtime_ns if cafile else 0
    except OSError:
        stamp = -1  # unreadable: made (and refused by ssl) again each time, as before
    return _context(cafile, stamp)


@functools.lru_cache(maxsize=64)
def _context(cafile: str | None, _stamp: int) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=cafile)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def run(check, settings) -> CheckResult:
    limit = settings.max_body_bytes
    started = time.monotonic()
    deadline = started + check.timeout_seconds
    try:
        with httpx.Client(verify=client_context(check), timeout=check.timeout_seconds, follow_redirects=True,
                          max_redirects=MAX_REDIRECTS, trust_env=False,
                          headers={"User-Agent": "ops-console-availability"}) as client:
            with client.stream("GET", check.url) as response:
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk[:limit - len(body)]
                    if len(body) >= limit:
                        break
                    if time.monotonic() > deadline:
                        return failed(f"answer not complete within {check.timeout_seconds:g} s",
                                      status_code=response.status_code)
                status, encoding = response.status_code, response.encoding or "utf-8"
    except httpx.TimeoutException:
        return failed(f"no answer within {check.timeout_seconds:g} s")
    except httpx.TooManyRedirects:
        return failed(f"more than {MAX_REDIRECTS} redirects")
    except httpx.ConnectError as exc:
        return failed(f"cannot connect: {_reason(exc)}")
    except (httpx.HTTPError, ssl.SSLError, OSError, ValueError) as exc:
        return failed(f"bad answer: {_reason(exc)}")
    took = elapsed_ms(started)
    if status not in check.expect_status:
        return failed(f"status {status} (expected {', '.join(map(str, check.expect_status))})", took,
                      status_code=status)
    if check.expect_text:
        try:
            text = bytes(body).decode(encoding, errors="replace")
        except LookupError:
            text = bytes(body).decode("utf-8", errors="replace")
        if check.expect_text not in text:
            return failed(f"the page does not contain {check.expect_text[:80]!r}", took, status_code=status)
    if check.max_response_ms and took > check.max_response_ms:
        return CheckResult("degraded", f"answered in {took:g} ms (over {check.max_response_ms} ms)", took,
                           {"status_code": status})
    return ok(took, status_code=status)


def _reason(exc: Exception) -> str:
    cause = exc.__context__ if isinstance(exc.__context__, ssl.SSLError) else exc
    text = getattr(cause, "verify_message", None) or getattr(cause, "reason", None) or str(cause)
    return str(text)[:200] or type(exc).__name__
