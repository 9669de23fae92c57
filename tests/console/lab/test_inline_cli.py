"""`ops lab inline`: an attacker, an inline Suricata and a web server, up until SIGTERM, then gone.

The command prints the [rules] sensors entry the console deploys to (kind "local", mode "ips"); the web
server answers through the sensor; SIGTERM takes the three namespaces down.
"""

from __future__ import annotations

import re
import subprocess

import pytest

from console.lab.network import namespaces
from tests.console.lab.test_demo_ups import OPS, REPO, _environment, wait_for
from tests.fixtures.processes import stop


@pytest.mark.external  # Suricata 7 inline in network namespaces (ops lab inline)
def test_ops_lab_inline_carries_traffic_through_suricata_and_removes_everything_on_sigterm(tmp_path):
    config = tmp_path / "ops.toml"
    config.write_text(f'[console]\nsecret_key = "test-secret-key-not-for-production"\n'
                      f'[paths]\nvar_dir = "{tmp_path / "var"}"\n')
    output = tmp_path / "inline.out"
    with open(output, "wb") as handle:
        process = subprocess.Popen([*OPS, "--config", str(config), "lab", "inline", "--for", "120"],
                                   stdout=handle, stderr=subprocess.STDOUT, cwd=REPO, env=_environment())
    try:
        wait_for(lambda: "Ctrl-C stops it" in output.read_text() or process.poll() is not None,
                 "ops lab inline reporting it is up", 60)
        text = output.read_text()
        assert process.poll() is None, text
        client = re.search(r"ip netns exec (\S+) curl", text).group(1)
        prefix = client[:-1]
        assert 'kind = "local", mode = "ips"' in text and str(tmp_path / "var" / "lab" / "inline") in text
        answer = subprocess.run(["ip", "netns", "exec", client, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                 "-m", "3", "http://198.18.252.2/"], capture_output=True, text=True, timeout=10)
        assert answer.stdout == "200"  # the server's directory listing, through Suricata
    finally:
        stop(process, grace_seconds=30)
    assert process.returncode == 0, output.read_text()
    assert "inline sensor stopped" in output.read_text()
    assert namespaces(prefix) == []
