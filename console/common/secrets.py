"""Resolving credential references (`env:NAME`, `file:/path`) at the moment of use: devices and notification channels.

Errors name the reference, never the value. A secret file must be a regular
file of at most 4 KiB; one trailing newline is dropped.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from console.errors import OpsError

MAX_SECRET_BYTES = 4096
# What ops.toml accepts where a secret belongs: a reference, never the value.
SECRET_REF = re.compile(r"(env:[A-Za-z_][A-Za-z0-9_]{0,127}|file:/.{1,1000})")


def check_reference(value: str) -> str:
    """ops.toml validator: a secret field holds a reference (or nothing), never the secret."""
    if value and not SECRET_REF.fullmatch(value):
        raise ValueError("must be a reference, env:VARIABLE or file:/absolute/path; "
                         "keep the secret itself out of ops.toml")
    return value


def check_pin_sha256(value: str) -> str:
    """ops.toml validator: a certificate pin, the SHA-256 of its DER bytes (colons allowed), lower-case hex."""
    cleaned = value.replace(":", "").lower()
    if value and not re.fullmatch(r"[0-9a-f]{64}", cleaned):
        raise ValueError("must be the SHA-256 of the certificate's DER bytes, 64 hex digits")
    return cleaned


class SecretError(OpsError):
    """A reference that cannot be resolved; the message names the reference, never a value."""


def resolve(reference: str, environ=None) -> str:
    environ = os.environ if environ is None else environ
    scheme, _, target = reference.partition(":")
    if scheme == "env":
        value = environ.get(target, "")
        if not value:
            raise SecretError(f"credential env:{target} is not set in the console's environment")
        return value
    if scheme == "file":
        return _from_file(Path(target))
    raise SecretError("credential reference must be env:NAME or file:/path")


def _from_file(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_SECRET_BYTES + 1)
    except OSError as exc:
        raise SecretError(f"credential file:{path} cannot be read: {exc.strerror}") from None
    if len(raw) > MAX_SECRET_BYTES:
        raise SecretError(f"credential file:{path} is larger than {MAX_SECRET_BYTES} bytes")
    value = raw.decode("utf-8", "replace").removesuffix("\n").removesuffix("\r")
    if not value:
        raise SecretError(f"credential file:{path} is empty")
    return value
