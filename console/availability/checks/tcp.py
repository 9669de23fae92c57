"""TCP: the port accepts a connection within the timeout."""

from __future__ import annotations

import socket
import time

from console.availability.checks import CheckResult, elapsed_ms, failed, ok


def run(check, settings) -> CheckResult:
    started = time.monotonic()
    try:
        with socket.create_connection((check.host, check.port), timeout=check.timeout_seconds):
            return ok(elapsed_ms(started))
    except socket.timeout:
        return failed(f"no answer from {check.host}:{check.port} within {check.timeout_seconds:g} s")
    except ConnectionRefusedError:
        return failed(f"connection refused by {check.host}:{check.port}", elapsed_ms(started))
    except OSError as exc:
        return failed(f"cannot connect to {check.host}:{check.port}: {exc.strerror or type(exc).__name__}")
