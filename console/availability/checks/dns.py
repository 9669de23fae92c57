"""DNS: a record resolves to the expected answers through a given server (dnspython; UDP, TCP when truncated)."""

from __future__ import annotations

import time

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype

from console.availability.checks import CheckResult, elapsed_ms, failed, ok

MAX_ANSWERS = 50


def normal(text: str) -> str:
    """An answer as compared: lower case, no trailing dot, TXT without its quotes."""
    return text.strip().strip('"').rstrip(".").lower()


def run(check, settings) -> CheckResult:
    started = time.monotonic()
    try:
        query = dns.message.make_query(dns.name.from_text(check.record), dns.rdatatype.from_text(check.record_type))
        response, _tcp = dns.query.udp_with_fallback(query, check.server, timeout=check.timeout_seconds,
                                                     port=check.dns_port)
    except dns.exception.Timeout:
        return failed(f"no answer from {check.server} within {check.timeout_seconds:g} s")
    except dns.exception.DNSException as exc:
        return failed(f"bad answer from {check.server}: {type(exc).__name__}")
    except OSError as exc:
        return failed(f"cannot ask {check.server}: {exc.strerror or type(exc).__name__}")
    took = elapsed_ms(started)
    if response.rcode() != dns.rcode.NOERROR:
        return failed(f"{check.server} answered {dns.rcode.to_text(response.rcode())} for {check.record}", took)
    wanted = dns.rdatatype.from_text(check.record_type)
    answers = sorted({normal(item.to_text()) for rrset in response.answer if rrset.rdtype == wanted
                      for item in rrset})[:MAX_ANSWERS]
    missing = [value for value in check.expect if normal(value) not in answers]
    if missing:
        shown = ", ".join(answers)[:150] or "nothing"
        return failed(f"{check.record} {check.record_type} is {shown}, not {', '.join(missing)}", took,
                      answers=answers)
    return ok(took, answers=answers)
