"""How an agent proves a request is its own: an Ed25519 signature.

The agent makes its key pair at enrolment and keeps the private key (mode
0600); the console stores only the public key, so nothing on the console
can be stolen to impersonate an agent. Each request signs the agent id, a
timestamp and the SHA-256 of the body; the console refuses old timestamps,
which bounds replay, and stores each report id once, which makes a replay
inside the window harmless.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

AGENT_HEADER = "X-Ops-Agent"
TIMESTAMP_HEADER = "X-Ops-Timestamp"
SIGNATURE_HEADER = "X-Ops-Signature"


def new_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def load_private_key(pem: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the agent key is not an Ed25519 key")
    return key


def public_key_text(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def message(agent_id: str, timestamp: str, body: bytes) -> bytes:
    return f"{agent_id}\n{timestamp}\n{hashlib.sha256(body).hexdigest()}".encode()


def sign(key: Ed25519PrivateKey, agent_id: str, timestamp: str, body: bytes) -> str:
    return base64.b64encode(key.sign(message(agent_id, timestamp, body))).decode()


def verify(public_key: str, agent_id: str, timestamp: str, body: bytes, signature: str) -> bool:
    """True only for a well-formed signature by this public key over exactly these bytes."""
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key, validate=True))
        key.verify(base64.b64decode(signature, validate=True), message(agent_id, timestamp, body))
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True
