"""Rule manager fixtures: sources the tests make themselves (rules_config is in tests/fixtures/rules.py).

The console's rule tests (tests/console/ruleset/) use them too; their conftest adds the console's settings.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest



THIRD_PARTY = {
    "rules/vendor-web.rules": (
        'alert http $EXTERNAL_NET any -> $HOME_NET any (msg:"VENDOR WEB admin login probe"; flow:established,to_server; '
        'http.uri; content:"/wp-login.php"; classtype:web-application-attack; sid:2000001; rev:2; '
        'metadata:signature_severity Major, deployment Perimeter;)\n'
        '# alert http $EXTERNAL_NET any -> $HOME_NET any (msg:"VENDOR WEB phpinfo probe"; flow:established,to_server; '
        'http.uri; content:"/phpinfo.php"; classtype:attempted-recon; sid:2000002; rev:1; '
        'metadata:signature_severity Minor, deployment Perimeter;)\n'),
    "rules/vendor-scan.rules": (
        'alert tcp $EXTERNAL_NET any -> $HOME_NET 3389 (msg:"VENDOR SCAN RDP connection attempt"; flow:to_server; '
        'flags:S,12; classtype:attempted-recon; sid:2000101; rev:1;)\n'
        'alert tcp $EXTERNAL_NET any -> $HOME_NET 445 (msg:"VENDOR SCAN SMB connection attempt"; flow:to_server; '
        'flags:S,12; classtype:attempted-recon; sid:2000102; rev:1;)\n'
        '# alert tcp any any -> any any (msg:"VENDOR flowbit setter"; flow:to_server; content:"LOGIN"; '
        'flowbits:set,vendor.login; flowbits:noalert; sid:2000103; rev:1;)\n'
        'alert tcp any any -> any any (msg:"VENDOR login then secret"; flow:to_server; content:"SECRET"; '
        'flowbits:isset,vendor.login; sid:2000104; rev:1;)\n'),
    "rules/classification.config": "config classification: misc,Misc,3\n",
}


def make_tarball(path: Path, members: dict[str, str | bytes]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, content in members.items():
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def vendor_tarball(tmp_path) -> Path:
    return make_tarball(tmp_path / "vendor-rules.tar.gz", THIRD_PARTY)
