"""What the three channels share: TLS verified by a CA file or pinned, secrets resolved, failures put into words.

TLS, as the agent's (probes/transport.py): `ca_file` names the private CA that
signed the server's certificate; `pin_sha256` is the SHA-256 of the server
certificate's DER bytes, checked right after the handshake, before anything is
sent; neither: the system CAs. With a pin and no ca_file the chain is not
checked (a self-signed server), the pin is the check; with both, both are
checked. The name checked (and sent as SNI) is `tls_server_name`, or the host.

A reason is one line of at most 500 characters that never holds a password,
the webhook key or the message body: `clip` replaces any of them with "***".
"""

from __future__ import annotations

import hashlib
import http.client
import socket
import ssl

from console.common.secrets import SecretError, resolve
from console.notify.channels import DeliveryError

MAX_REASON = 500


class _Context(ssl.SSLContext):
    """A client context that checks `server_name` (whatever name the library passes) and the pin."""

    server_name: str = ""
    pin: str = ""

    def wrap_socket(self, sock, server_side=False, do_handshake_on_connect=True, suppress_ragged_eofs=True,
                    server_hostname=None, session=None):
        name = self.server_name or server_hostname
        wrapped = super().wrap_socket(sock, server_side=server_side, do_handshake_on_connect=do_handshake_on_connect,
                                      suppress_ragged_eofs=suppress_ragged_eofs, server_hostname=name,
                                      session=session)
        if self.pin:
            seen = hashlib.sha256(wrapped.getpeercert(binary_form=True) or b"").hexdigest()
            if seen != self.pin:
                wrapped.close()
                raise DeliveryError(f"TLS certificate of {name} has sha256 {seen}, not the pinned {self.pin}: "
                                    "refused (update pin_sha256 if the server's certificate was replaced)")
        return wrapped


def context(channel, host: str) -> ssl.SSLContext:
    """The client context for `channel` talking to `host` (the SMTP or syslog host, the URL's host)."""
    ctx = _Context(ssl.PROTOCOL_TLS_CLIENT)
    ctx.server_name = channel.tls_server_name or host
    ctx.pin = channel.pin_sha256
    if channel.ca_file:
        try:
            ctx.load_verify_locations(cafile=str(channel.ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise DeliveryError(f"ca_file {channel.ca_file} cannot be used: "
                                f"{getattr(exc, 'strerror', None) or getattr(exc, 'reason', None) or exc}") from None
    elif channel.pin_sha256:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # a self-signed server: the pin is the check (wrap_socket)
    else:
        ctx.load_default_certs()
    return ctx


def secret(reference: str) -> str:
    """The secret a reference names; SecretError becomes DeliveryError with the same message (no value in it)."""
    try:
        return resolve(reference)
    except SecretError as exc:
        raise DeliveryError(str(exc)) from None


def network_reason(exc: BaseException, where: str, timeout: float) -> str:
    """What went wrong talking to `where` (host:port), in words a user acts on."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        detail = exc.verify_message or exc.reason or "verification failed"
        return (f"{where}: TLS certificate not accepted: {detail} "
                "(set ca_file to the CA that signed it, or pin_sha256; tls_server_name for another name)")
    if isinstance(exc, ssl.SSLError):
        return f"{where}: TLS handshake failed: {exc.reason or exc}"
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return f"{where}: no answer within {timeout:g} s (timeout_seconds)"
    if isinstance(exc, ConnectionRefusedError):
        return f"{where}: connection refused (is the server running and listening on that port?)"
    if isinstance(exc, socket.gaierror):
        return f"{where}: host name cannot be resolved: {exc.strerror}"
    if isinstance(exc, (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected)):
        return f"{where}: the server closed the connection ({type(exc).__name__})"
    if isinstance(exc, http.client.HTTPException):
        return f"{where}: not an HTTP answer ({type(exc).__name__})"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{where}: {exc.strerror}"
    return f"{where}: {type(exc).__name__}: {exc}"


def printable(text: str) -> str:
    """One line: control characters and runs of white space become single spaces."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def clip(reason: str, *hidden: str) -> str:
    """The reason as it may be shown: none of `hidden` (secrets, the message body) in it, one line, <= 500 chars."""
    for value in sorted((value for value in hidden if value), key=len, reverse=True):
        reason = reason.replace(value, "***")
    reason = printable(reason)
    return reason if len(reason) <= MAX_REASON else reason[:MAX_REASON - 1] + "…"


def where(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
