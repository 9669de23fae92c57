"""ICMP: round-trip time and loss, from Debian's fping (`fping -C <count> -q`).

fping prints one line per target on stderr, "host : 0.05 0.04 -", a time in
milliseconds for each answered request and "-" for each lost one; the line
is parsed, nothing else is trusted, and fping runs with a deadline.
"""

from __future__ import annotations

import re
import subprocess

from console.availability.checks import CheckResult, failed, ok

FPING = "/usr/bin/fping"
PERIOD_MS = 200
LINE = re.compile(r"^\S+\s*:\s*((?:(?:[0-9]+(?:\.[0-9]+)?|-)\s*)+)$")


def parse(output: str, count: int) -> tuple[float | None, float] | None:
    """(average RTT in ms or None when nothing answered, loss in percent) from fping -C output, or None."""
    for line in output.splitlines()[:20]:
        found = LINE.match(line.strip()[:2000])
        if not found:
            continue
        samples = found.group(1).split()[:count]
        if len(samples) != count:
            return None
        times = [float(sample) for sample in samples if sample != "-"]
        loss = round(100 * (count - len(times)) / count, 1)
        return (round(sum(times) / len(times), 2) if times else None), loss
    return None


def run(check, settings) -> CheckResult:
    per_request_ms = max(50, min(5000, int(check.timeout_seconds * 1000 / check.count)))
    command = [FPING, "-C", str(check.count), "-q", "-t", str(per_request_ms), "-p", str(PERIOD_MS), check.host]
    deadline = check.timeout_seconds + check.count * PERIOD_MS / 1000 + 2
    try:
        answer = subprocess.run(command, capture_output=True, text=True, timeout=deadline, errors="replace")
    except FileNotFoundError:
        return failed("fping is not installed (Debian package fping)")
    except subprocess.TimeoutExpired:
        return failed(f"fping gave no answer within {deadline:g} s")
    parsed = parse(answer.stderr[:20000], check.count)
    if parsed is None:
        reason = answer.stderr.strip().splitlines()[-1:] or [f"exit {answer.returncode}"]
        return failed(f"fping: {reason[0][:200]}")
    rtt, loss = parsed
    facts = {"loss_percent": loss, "rtt_ms": rtt}
    if rtt is None:
        return failed(f"no answer to {check.count} echo requests", **facts)
    if loss > check.max_loss_percent:
        return failed(f"{loss:g} % of echo requests lost (at most {check.max_loss_percent} %)", rtt, **facts)
    if check.max_response_ms and rtt > check.max_response_ms:
        return CheckResult("degraded", f"round trip {rtt:g} ms (over {check.max_response_ms} ms)", rtt, facts)
    return ok(rtt, **facts)
