"""One bounded, pinned HTTPS client: the Sophos XML API, Kaspersky Security Center and the webhook channel use it.

What every caller relies on:

- TLS is verified one of three ways, never turned off: `pin_sha256` (the SHA-256 of the server
  certificate's DER bytes, checked right after the handshake, before anything is sent; the chain is not
  checked then: the appliances' certificates are self-signed), `ca_file` (the private CA that signed
  it), or the system CAs. The name checked and sent as SNI is `server_name`, else the host.
- One deadline bounds a whole exchange (connect, handshake, request, the full answer), not each read;
  an answer is refused past `max_answer_bytes` (at its Content-Length when it declares one).
- The connection is kept alive between requests; a reused one the server closed is opened again once
  (a request on a fresh connection is never sent twice).
- Failures are `HttpsError` with a reason a person acts on, naming host:port, never a header or body;
  `cause` is the exception behind it, for a caller that words failures its own way.

A caller with its own TLS rules passes `context` (the notify channels' context checks name and pin in
its handshake); `tls=False` is plain HTTP (a webhook on http://); `truncate=True` keeps the first
`max_answer_bytes` of a longer answer instead of refusing it.
"""

from __future__ import annotations

import hashlib
import http.client
import socket
import ssl
import time
from dataclasses import dataclass
from pathlib import Path

from console.errors import OpsError

DEFAULT_MAX_ANSWER_BYTES = 8 * 1024 * 1024


class HttpsError(OpsError):
    """The exchange failed; `str()` is the reason (it starts with host:port), `cause` the exception behind it."""

    http_status = 502

    def __init__(self, message: str, cause: BaseException | None = None):
        super().__init__(message)
        self.cause = cause


@dataclass(frozen=True)
class Answer:
    status: int
    reason: str
    headers: dict
    body: bytes


class HttpsClient:
    """HTTPS to one server: `with HttpsClient(...) as client: client.request("POST", path, body, headers)`."""

    def __init__(self, host: str, port: int, *, timeout: float, ca_file: Path | str | None = None,
                 pin_sha256: str = "", server_name: str = "", max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
                 context: ssl.SSLContext | None = None, tls: bool = True, truncate: bool = False):
        self.host, self.port, self.timeout = host, port, timeout
        self.ca_file, self.pin, self.server_name = ca_file, pin_sha256, server_name or host
        self.max_answer_bytes, self.context, self.tls, self.truncate = max_answer_bytes, context, tls, truncate
        self.where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        self.conn: http.client.HTTPConnection | None = None
        self.served = 0  # answers read on the current connection

    def __enter__(self) -> "HttpsClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()

    def connect(self, deadline: float | None = None) -> None:
        """Connect and verify (CA or pin) now; a request connects by itself when it needs to."""
        deadline = deadline or time.monotonic() + self.timeout
        self.served = 0
        if self.tls:
            self.conn = _Connection(self.host, self.port, self.timeout,
                                    self.context or tls_context(self.ca_file, self.pin), self.server_name, deadline)
        else:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            self.conn.connect()
        except ssl.SSLCertVerificationError as exc:
            self.close()
            raise HttpsError(f"{self.where}: certificate not trusted ({exc.verify_message})", exc) from None
        except (TimeoutError, socket.timeout) as exc:
            self.close()
            raise HttpsError(f"{self.where}: no complete answer within {self.timeout:g} s", exc) from None
        except OSError as exc:
            self.close()
            raise HttpsError(f"{self.where}: {exc.strerror or exc or type(exc).__name__}", exc) from None
        if self.pin and self.tls:
            seen = hashlib.sha256(self.conn.sock.getpeercert(binary_form=True) or b"").hexdigest()
            if seen != self.pin:
                self.close()
                raise HttpsError(f"{self.where}: certificate sha256 {seen} does not match the pinned one", None)

    def request(self, method: str, path: str, body: bytes = b"", headers: dict | None = None) -> Answer:
        """One request and its whole answer within the timeout; any status is an Answer, not an error."""
        deadline = time.monotonic() + self.timeout
        for attempt in (1, 2):
            try:
                if self.conn is None or self.conn.sock is None:
                    self.connect(deadline)
                _remaining(self.conn.sock, deadline)
                self.conn.request(method, path, body=body, headers=headers or {})
                sock = self.conn.sock  # http.client lets go of it once the answer says "Connection: close"
                _remaining(sock, deadline)
                response = self.conn.getresponse()
                data = self._read_bounded(response, sock, deadline)
                self.served += 1
                return Answer(response.status, response.reason or "", dict(response.getheaders()), data)
            except (TimeoutError, socket.timeout) as exc:
                self.close()
                raise HttpsError(f"{self.where}: no complete answer within {self.timeout:g} s", exc) from None
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                reused = self.served > 0
                self.close()
                self.conn = None
                if attempt == 2 or not reused:  # only a kept-alive connection the server closed is opened again
                    raise HttpsError(f"{self.where}: {exc or type(exc).__name__}", exc) from None
            except http.client.IncompleteRead as exc:
                self.close()
                raise HttpsError(f"{self.where}: the answer was cut short ({len(exc.partial)} bytes received)",
                                 exc) from None
            except HttpsError:
                raise
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
                raise HttpsError(f"{self.where}: {reason}", exc) from None
        raise AssertionError("unreachable")

    def _read_bounded(self, response, sock, deadline: float) -> bytes:
        limit = self.max_answer_bytes
        declared = response.getheader("Content-Length")
        if declared and declared.isdigit() and int(declared) > limit and not self.truncate:
            self.close()
            raise HttpsError(f"{self.where}: answer of {declared} bytes is larger than the limit of {limit} bytes")
        chunks, size = [], 0
        while True:
            _remaining(sock, deadline)
            chunk = response.read1(65536)
            if not chunk:
                response.close()  # complete: a kept-alive connection may carry the next request
                return b"".join(chunks)
            size += len(chunk)
            if size > limit:
                self.close()
                if self.truncate:
                    chunks.append(chunk)
                    return b"".join(chunks)[:limit]
                raise HttpsError(f"{self.where}: answer larger than the limit of {limit} bytes")
            chunks.append(chunk)


class _Connection(http.client.HTTPSConnection):
    """HTTPS whose certificate name is `server_name`, the handshake getting what is left of the deadline."""

    def __init__(self, host: str, port: int, timeout: float, tls: ssl.SSLContext, server_name: str,
                 deadline: float):
        super().__init__(host, port, timeout=timeout, context=tls)
        self.tls, self.server_name, self.deadline = tls, server_name, deadline

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        _remaining(self.sock, self.deadline)
        self.sock = self.tls.wrap_socket(self.sock, server_hostname=self.server_name)


def tls_context(ca_file: Path | str | None, pin_sha256: str) -> ssl.SSLContext:
    """A client context: with a pin (and no CA file) the pin is the verification; else the CA file or the system's."""
    if pin_sha256 and not ca_file:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # the pin, checked before anything is sent, is the verification
        return context
    return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)


def _remaining(sock, deadline: float) -> None:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    if sock is not None:
        sock.settimeout(left)
