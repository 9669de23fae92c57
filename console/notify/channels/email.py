"""Email over SMTP: STARTTLS (587), implicit TLS (465) or none (25), with an optional login.

The Message-ID is made from the delivery and the event's time, so the same
delivery sent twice (the outbox retries after a timeout) carries the same
Message-ID and a receiver can drop the repeat. The receipt is the server's
answer to the message ("250 2.0.0 Ok: queued as 4Xq..."); a failure names the
server's code and text and what it refused.
"""

from __future__ import annotations

import base64
import re
import smtplib
import socket
from email.header import Header
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY, SMTPUTF8 as SMTPUTF8_POLICY, EmailPolicy
from email.utils import format_datetime
from datetime import datetime, timezone
from urllib.parse import urlsplit

from console.notify.channels import DeliveryError, Message
from console.notify.channels import tls



class _SubjectKeepsItsSpaces(EmailPolicy):
    """Python 3.11's folder can put the space between two words on the fold between two encoded words, where a
    reader drops it ("Hệ thốngmột cửa"; CPython gh-144156, fixed after 3.13). A non-ASCII Subject is encoded
    here instead, by email.header's encoder, which keeps every space inside an encoded word."""

    def _encoded_subject(self, name, value) -> str | None:
        if self.utf8 or name.lower() != "subject" or str(value).isascii():
            return None
        encoded = Header(str(value), "utf-8", maxlinelen=self.max_line_length, header_name=name)
        return f"{name}: {encoded.encode(linesep=self.linesep)}{self.linesep}"

    def fold(self, name, value):
        return self._encoded_subject(name, value) or super().fold(name, value)

    def fold_binary(self, name, value):
        folded = self._encoded_subject(name, value)
        return folded.encode("ascii") if folded else super().fold_binary(name, value)


# Lines of at most 78 characters, CRLF, non-ASCII only in encoded words and
# base64/quoted-printable bodies: any SMTP server takes it, 8BITMIME or not.
POLICY = _SubjectKeepsItsSpaces(**{**SMTP_POLICY.__dict__, "cte_type": "7bit"})
# An address that is not ASCII (Ông.Nam@ubnd.example.vn) needs SMTPUTF8 (RFC 6531): raw UTF-8 headers.
UTF8_POLICY = SMTPUTF8_POLICY.clone(cte_type="7bit")
DOT_ATOM = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")


def console_host(message: Message) -> str:
    """The console's host name for Message-ID and EHLO: the host of the console URL in the link, else this machine's."""
    name = urlsplit(message.link).hostname or ""
    if DOT_ATOM.fullmatch(name) and re.search(r"[A-Za-z]", name):
        return name
    name = socket.gethostname()
    return name if DOT_ATOM.fullmatch(name) else "ops-console.invalid"


def message_id(message: Message) -> str:
    return f"<ops-{message.delivery_id}.{int(message.created_at.timestamp())}@{console_host(message)}>"


def _needs_utf8(channel) -> bool:
    return not all(address.isascii() for address in [channel.sender, *channel.recipients])


def build(channel, message: Message) -> EmailMessage:
    mail = EmailMessage(policy=UTF8_POLICY if _needs_utf8(channel) else POLICY)
    mail["From"] = channel.sender
    mail["To"] = ", ".join(channel.recipients)
    mail["Subject"] = " ".join(message.subject.split())  # one line
    mail["Date"] = format_datetime(datetime.now(timezone.utc))
    mail["Message-ID"] = message_id(message)
    mail["X-Ops-Event"] = message.kind
    mail["X-Ops-Severity"] = message.severity
    mail.set_content(message.text, charset="utf-8")
    return mail


def send(channel, message: Message) -> str:
    password = tls.secret(channel.password) if channel.password else ""
    hidden = (password, message.text)
    host, port, timeout = channel.host, channel.effective_port, channel.timeout_seconds
    where = tls.where(host, port)
    payload = build(channel, message).as_bytes()
    local = console_host(message)
    try:
        if channel.security == "tls":
            smtp = smtplib.SMTP_SSL(local_hostname=local, timeout=timeout, context=tls.context(channel, host))
        else:
            smtp = smtplib.SMTP(local_hostname=local, timeout=timeout)
    except DeliveryError as exc:  # a ca_file that cannot be read
        raise DeliveryError(tls.clip(str(exc), *hidden)) from None
    try:
        return tls.clip(_session(smtp, channel, password, payload, where), *hidden)
    except DeliveryError as exc:
        raise DeliveryError(tls.clip(str(exc), *hidden)) from None
    except smtplib.SMTPServerDisconnected as exc:
        if isinstance(exc.__context__, OSError):  # smtplib words a timeout as "Connection unexpectedly closed"
            raise DeliveryError(tls.clip(tls.network_reason(exc.__context__, where, timeout), *hidden)) from None
        raise DeliveryError(tls.clip(f"{where}: the SMTP server closed the connection ({exc})", *hidden)) from None
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(tls.clip(f"SMTP {exc.smtp_code} {_text(exc.smtp_error)} ({where})", *hidden)) from None
    except smtplib.SMTPException as exc:
        raise DeliveryError(tls.clip(f"{where}: {exc}", *hidden)) from None
    except OSError as exc:
        raise DeliveryError(tls.clip(tls.network_reason(exc, where, timeout), *hidden)) from None
    except UnicodeError:
        raise DeliveryError(f"{where}: an address or the user name cannot be sent to this SMTP server "
                            "(not ASCII)") from None
    finally:
        smtp.close()


def _session(smtp: smtplib.SMTP, channel, password: str, payload: bytes, where: str) -> str:
    smtp.connect(channel.host, channel.effective_port)
    if channel.security == "starttls":
        smtp.ehlo()
        if not smtp.has_extn("starttls"):
            raise DeliveryError(f"{where}: the SMTP server does not offer STARTTLS "
                                "(use security = \"tls\" for port 465, or \"none\" on a trusted network)")
        code, answer = smtp.starttls(context=tls.context(channel, channel.host))
        if code != 220:
            raise DeliveryError(f"SMTP {code} {_text(answer)} (STARTTLS refused by {where})")
        smtp.ehlo()
    if channel.username:
        _login(smtp, channel, password, where)
    smtp.ehlo_or_helo_if_needed()
    options = []
    if _needs_utf8(channel):
        if not smtp.has_extn("smtputf8"):
            raise DeliveryError(f"{where}: the SMTP server does not offer SMTPUTF8, "
                                "needed for an address that is not ASCII")
        options.append("SMTPUTF8")
    code, answer = smtp.mail(channel.sender, options)
    if code != 250:
        raise DeliveryError(f"SMTP {code} {_text(answer)} (sender {channel.sender} refused by {where})")
    refused = []
    for recipient in channel.recipients:
        code, answer = smtp.rcpt(recipient)
        if code not in (250, 251):
            refused.append(f"{recipient}: {code} {_text(answer)}")
    if len(refused) == len(channel.recipients):
        smtp.rset()
        raise DeliveryError(f"SMTP recipients refused by {where}: " + "; ".join(refused))
    code, answer = smtp.data(payload)
    if code != 250:
        raise DeliveryError(f"SMTP {code} {_text(answer)} (message refused by {where})")
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        pass  # the message is taken: 250 above
    receipt = f"{code} {_text(answer)}"
    if refused:  # the others have it: failing would send it to them again
        receipt += "; refused: " + "; ".join(refused)
    return receipt


def _login(smtp: smtplib.SMTP, channel, password: str, where: str) -> None:
    if not smtp.has_extn("auth"):
        hint = " before STARTTLS; use security = \"starttls\" or \"tls\"" if channel.security == "none" else ""
        raise DeliveryError(f"{where}: the SMTP server does not offer AUTH{hint} (login as {channel.username})")
    offered = smtp.esmtp_features.get("auth", "").upper().split()
    user, secret = channel.username.encode("utf-8"), password.encode("utf-8")
    if "PLAIN" in offered:  # RFC 4616: UTF-8 (smtplib's own login takes ASCII passwords only)
        code, answer = smtp.docmd("AUTH", "PLAIN " + _b64(b"\0" + user + b"\0" + secret))
    elif "LOGIN" in offered:
        code, answer = smtp.docmd("AUTH", "LOGIN " + _b64(user))
        if code == 334:
            code, answer = smtp.docmd(_b64(secret))
    else:
        try:
            smtp.login(channel.username, password)
            return
        except smtplib.SMTPAuthenticationError as exc:
            code, answer = exc.smtp_code, exc.smtp_error
        except (smtplib.SMTPNotSupportedError, UnicodeError):
            raise DeliveryError(f"{where}: no AUTH mechanism in common with the SMTP server "
                                f"(it offers {' '.join(offered) or 'none'}; the console speaks PLAIN and LOGIN, "
                                "and CRAM-MD5 with ASCII passwords)") from None
    if code != 235:
        raise DeliveryError(f"SMTP {code} {_text(answer)} (login refused for user {channel.username})")


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _text(answer) -> str:
    if isinstance(answer, bytes):
        answer = answer.decode("utf-8", "replace")
    return tls.printable(str(answer))
