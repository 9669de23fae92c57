"""The demo's mailbox: an SMTP server on a loopback port that keeps every message in a Maildir.

    serve(Path("var/demo-mail"), port=2525, on_message=print)   # until SIGTERM/SIGINT

Each message becomes one file in `<folder>/new/` (Python's mailbox.Maildir,
through aiosmtpd's Mailbox handler, which adds X-Peer, X-MailFrom and
X-RcptTo). No authentication, no TLS: it listens on loopback only, for the
console's `[[notify.channels]]` of kind email with security = "none".
"""

from __future__ import annotations

import ipaddress
import signal
import socket
import threading
from dataclasses import dataclass
from email.header import decode_header, make_header
from pathlib import Path
from typing import Callable

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox

from console.lab.errors import LabError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 2525
DEFAULT_FOLDER = Path("var/demo-mail")
MAX_MESSAGE_BYTES = 10 * 1024 * 1024


class MailboxError(LabError):
    """The demo mailbox could not listen or write its folder."""

    exit_code = 1


@dataclass(frozen=True)
class Received:
    sender: str
    recipients: str
    subject: str
    file: Path


def decoded(value) -> str:
    """A header as a reader sees it: encoded words (=?utf-8?b?...?=) decoded, on one line."""
    if value is None:
        return ""
    try:
        text = str(make_header(decode_header(str(value))))
    except (UnicodeError, LookupError, ValueError):
        text = str(value)
    return " ".join(text.split())


class _Keeper(Mailbox):
    """aiosmtpd's Maildir handler that also reports each message it stored."""

    def __init__(self, folder: Path, on_message: Callable[[Received], None] | None):
        super().__init__(folder)
        self.folder, self.on_message = folder, on_message

    def handle_message(self, message) -> None:
        key = self.mailbox.add(message)
        if self.on_message is not None:
            try:
                self.on_message(Received(sender=decoded(message["From"] or message["X-MailFrom"]),
                                         recipients=decoded(message["To"] or message["X-RcptTo"]),
                                         subject=decoded(message["Subject"]),
                                         file=self.folder / "new" / key))
            except OSError:  # the terminal went away: the message is stored, the sender must not retry it
                pass

    def reset(self) -> None:
        """aiosmtpd's Mailbox empties the folder here; the demo's mailbox never does."""


def check_loopback(host: str) -> str:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise MailboxError(f"the demo mailbox listens on a loopback address only (127.0.0.1 or ::1), "
                           f"not {host!r}") from None
    if not address.is_loopback:
        raise MailboxError(f"the demo mailbox listens on a loopback address only (127.0.0.1 or ::1), not {host}: "
                           f"it takes mail from anyone without a password")
    return str(address)


def open_folder(folder: Path) -> Path:
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for sub in ("new", "cur", "tmp"):
            (folder / sub).mkdir(exist_ok=True)
    except OSError as exc:
        raise MailboxError(f"cannot make the Maildir {folder}: {exc.strerror or exc}") from None
    return folder


def start(folder: Path, port: int = DEFAULT_PORT, host: str = DEFAULT_HOST,
          on_message: Callable[[Received], None] | None = None) -> Controller:
    """Listen now (in a thread of this process); the caller stops it with `.stop()`."""
    host = check_loopback(host)
    folder = open_folder(folder)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    probe = socket.socket(family)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
    except OSError as exc:
        raise MailboxError(f"port {port} on {host} is taken ({exc.strerror}): another mailbox? "
                           f"see `ss -ltnp 'sport = :{port}'`, or choose one with --port") from None
    finally:
        probe.close()
    controller = Controller(_Keeper(folder, on_message), hostname=host, port=port, server_hostname="ops-demo-mailbox",
                            ready_timeout=10, data_size_limit=MAX_MESSAGE_BYTES)
    try:
        controller.start()
    except Exception as exc:  # aiosmtpd reports a failed start with its own exception types
        raise MailboxError(f"the mailbox could not listen on {host}:{port}: {exc}") from None
    return controller


def serve(folder: Path, port: int = DEFAULT_PORT, host: str = DEFAULT_HOST,
          on_ready: Callable[[str, int, Path], None] | None = None,
          on_message: Callable[[Received], None] | None = None) -> None:
    """Listen until SIGTERM or SIGINT, then stop."""
    stopped = threading.Event()
    previous = {sig: signal.signal(sig, lambda _number, _frame: stopped.set())
                for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        controller = start(folder, port, host, on_message)
        try:
            if on_ready is not None:
                on_ready(host, port, Path(folder))
            while not stopped.wait(0.5):
                pass
        finally:
            controller.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
