"""TLS: days until the LEAF certificate expires, the chain against ca_file (or the system's CAs), the host name, the
protocol version.

The handshake is Python's ssl (OpenSSL) with host name checking and the
configured oldest version; the leaf certificate is read with cryptography.
When verification fails, a second handshake without verification reads the
leaf anyway, so an expired or untrusted certificate still shows its days left.
The days are the leaf's own (blackbox_exporter #442: not the earliest expiry
in the chain).
"""

from __future__ import annotations

import socket
import ssl
import time
from datetime import datetime, timezone

from cryptography import x509

from console.availability.checks import CheckResult, elapsed_ms, failed, ok

VERSIONS = {"TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}


def handshake(check, verify: bool) -> tuple[bytes | None, str | None]:
    """(the leaf certificate as DER, the protocol version) of one handshake; raises ssl/OS errors."""
    if verify:
        context = ssl.create_default_context(cafile=str(check.ca_file) if check.ca_file else None)
        context.minimum_version = VERSIONS[check.min_tls_version]
    else:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    name = check.server_name or check.host
    with socket.create_connection((check.host, check.tls_port), timeout=check.timeout_seconds) as raw:
        with context.wrap_socket(raw, server_hostname=name) as tls:
            return tls.getpeercert(binary_form=True), tls.version()


def leaf_facts(der: bytes | None, now: datetime) -> dict:
    if not der:
        return {}
    try:
        certificate = x509.load_der_x509_certificate(der)
    except ValueError:
        return {}
    not_after = certificate.not_valid_after_utc
    return {"certificate_not_after": not_after.isoformat(),
            "certificate_days_left": (not_after - now).days if not_after >= now else -((now - not_after).days + 1)}


def run(check, settings, now: datetime | None = None) -> CheckResult:
    now = now or datetime.now(timezone.utc)
    started = time.monotonic()
    try:
        der, version = handshake(check, verify=True)
    except ssl.SSLCertVerificationError as exc:
        return _unverified(check, now, started, exc)
    except ssl.SSLError as exc:
        reason = exc.reason or type(exc).__name__
        if "VERSION" in str(reason).upper() or "PROTOCOL" in str(reason).upper():
            return failed(f"no protocol version {check.min_tls_version} or newer: {reason}", elapsed_ms(started))
        return failed(f"handshake failed: {reason}", elapsed_ms(started))
    except socket.timeout:
        return failed(f"no handshake within {check.timeout_seconds:g} s")
    except OSError as exc:
        return failed(f"cannot connect to {check.host}:{check.tls_port}: {exc.strerror or type(exc).__name__}")
    took = elapsed_ms(started)
    facts = {"tls_version": version, **leaf_facts(der, now)}
    days = facts.get("certificate_days_left")
    warn = max(settings.certificate_warn_days, default=0)
    if days is not None and days <= warn:
        return CheckResult("degraded", f"certificate expires in {days} days", took, facts)
    return ok(took, **facts)


def _unverified(check, now: datetime, started: float, error: ssl.SSLCertVerificationError) -> CheckResult:
    reason = error.verify_message or str(error.reason)
    try:
        der, version = handshake(check, verify=False)
        facts = {"tls_version": version, **leaf_facts(der, now)}
    except (ssl.SSLError, OSError):
        facts = {}
    if error.verify_code == 10 or "expired" in reason:  # X509_V_ERR_CERT_HAS_EXPIRED
        detail = "certificate expired"
        if facts.get("certificate_days_left", 0) >= 0:  # the leaf is valid: a certificate above it expired
            detail = "a certificate of the chain expired"
    elif "mismatch" in reason or "match" in reason:
        detail = f"certificate not valid for {check.server_name or check.host}: {reason}"
    else:
        detail = f"certificate not trusted: {reason}"
    return failed(detail, elapsed_ms(started), **facts)
