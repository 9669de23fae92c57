"""Certificates the tests make with cryptography: a root CA, an intermediate, leaves valid, expiring, expired,
for the wrong name, from a CA nobody trusts."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

NOW = datetime.now(timezone.utc)


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


class Authority:
    def __init__(self, common: str, days: int = 3650, issuer: "Authority | None" = None, path_length: int = 1):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = _name(common)
        signer = issuer or self
        builder = (x509.CertificateBuilder().subject_name(self.name)
                   .issuer_name(signer.name).public_key(self.key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(NOW - timedelta(days=2)).not_valid_after(NOW + timedelta(days=days))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
                   .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                                  critical=True))
        self.certificate = builder.sign(signer.key, hashes.SHA256())
        self.issuer = issuer

    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def leaf(self, folder: Path, label: str, host: str, not_after: datetime,
             not_before: datetime | None = None) -> tuple[Path, Path]:
        """(certificate chain file: leaf then the intermediates, key file) for `host` (a DNS name or an address)."""
        import ipaddress

        key = ec.generate_private_key(ec.SECP256R1())
        try:
            alt = x509.IPAddress(ipaddress.ip_address(host))
        except ValueError:
            alt = x509.DNSName(host)
        certificate = (x509.CertificateBuilder().subject_name(_name(host)).issuer_name(self.name)
                       .public_key(key.public_key()).serial_number(x509.random_serial_number())
                       .not_valid_before(not_before or NOW - timedelta(days=1)).not_valid_after(not_after)
                       .add_extension(x509.SubjectAlternativeName([alt]), critical=False)
                       .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                       .sign(self.key, hashes.SHA256()))
        chain = certificate.public_bytes(serialization.Encoding.PEM)
        authority = self
        while authority.issuer is not None:  # the intermediates, not the root
            chain += authority.pem()
            authority = authority.issuer
        cert_file, key_file = folder / f"{label}.crt", folder / f"{label}.key"
        cert_file.write_bytes(chain)
        key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        return cert_file, key_file
