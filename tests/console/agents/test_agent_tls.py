"""Agents talk to a console served over TLS: verified by a CA file, or by a pinned certificate."""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import ssl
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from werkzeug.serving import make_server

from console.db import session_scope
from console.agents import enrolment as agent_service
from console.access.actor import Actor
from probes.agent import Agent, AgentError, enroll
from probes.collectors.health import HealthCollector
from probes.config import AgentSettings

HOST = "dtnmt-web-01"


def self_signed(folder):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ops-console.test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "console.crt", folder / "console.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file, hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


@pytest.fixture
def tls_console(app, synced, tmp_path):
    cert_file, key_file, pin = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=context)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_port}", cert_file, pin
    server.shutdown()
    server.server_close()


def token(session_factory) -> str:
    with session_scope(session_factory) as db:
        return agent_service.create_enrollment_token(db, Actor.cli(), HOST)[1]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_agent_verifies_the_console_with_a_ca_file(tls_console, session_factory, tmp_path):
    url, cert_file, _pin = tls_console
    settings = AgentSettings(state_dir=tmp_path / "a", host_name=HOST)
    with pytest.raises(AgentError, match="cannot reach"):  # system CAs do not know this console
        enroll(settings, url, token(session_factory))
    enroll(settings, url, token(session_factory), ca_file=str(cert_file))
    assert Agent(settings, [HealthCollector(cpu_interval=0)]).run_once().sent == 1


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_agent_pins_the_console_certificate(tls_console, session_factory, tmp_path):
    url, _cert_file, pin = tls_console
    settings = AgentSettings(state_dir=tmp_path / "a", host_name=HOST)
    with pytest.raises(AgentError, match="does not match the pinned one"):
        enroll(settings, url, token(session_factory), pin_sha256="00" * 32)
    enroll(settings, url, token(session_factory), pin_sha256=pin.upper())
    assert Agent(settings, [HealthCollector(cpu_interval=0)]).run_once().sent == 1
