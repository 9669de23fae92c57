"""Fixtures of the availability tests: a namespace of the test's own, a PKI made with cryptography, HTTPS servers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.console.availability.certs import NOW, Authority
from tests.console.availability.servers import HOST, PORTS, start_https
from tests.fixtures.service_net import module_service_net, service_net  # noqa: F401 (fixtures)

@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pki")
    root = Authority("Test Root CA")
    intermediate = Authority("Test Intermediate CA", days=400, issuer=root, path_length=0)
    stranger = Authority("Nobody Trusts This CA")
    (folder / "root.pem").write_bytes(root.pem())
    leaves = {
        "valid": intermediate.leaf(folder, "valid", HOST, NOW + timedelta(days=90)),
        "expiring": intermediate.leaf(folder, "expiring", HOST, NOW + timedelta(days=5, hours=12)),
        "expired": intermediate.leaf(folder, "expired", HOST, NOW - timedelta(days=3, hours=12),
                                     not_before=NOW - timedelta(days=40)),
        "wrong-name": intermediate.leaf(folder, "wrong-name", "intranet.example.test", NOW + timedelta(days=90)),
        "untrusted": stranger.leaf(folder, "untrusted", HOST, NOW + timedelta(days=90)),
        "short-leaf": intermediate.leaf(folder, "short-leaf", HOST, NOW + timedelta(days=20, hours=12)),
    }
    return folder, leaves


@pytest.fixture(scope="module")
def servers(module_service_net, pki):
    folder, leaves = pki
    specs = [{"port": port, "cert": str(leaves[label if label != "tls12-only" else "valid"][0]),
              "key": str(leaves[label if label != "tls12-only" else "valid"][1])} for label, port in PORTS.items()]
    specs[-1]["max_version"] = "TLSv1_2"
    specs.append({"port": 80})
    start_https(module_service_net, specs)
    return module_service_net, folder / "root.pem"


