"""SSH server settings in force: what `sshd -T` says, not what a config file seems to say.

`sshd -T` prints the effective configuration after Include files, defaults
and first-match-wins are applied, so a hardening file that an earlier line
overrides is caught. It needs root (host keys) and is run with the config
path the agent is given ([agent] sshd_config). A host without sshd reports
`installed: false`; an sshd that refuses its config is a collector failure
with sshd's own message, never a guess.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from probes.collectors import CollectorFailed

SSHD = "/usr/sbin/sshd"
TIMEOUT_SECONDS = 10
# Effective settings reported (sshd -T names -> report fields).
REPORTED = {"permitrootlogin": "permit_root_login", "passwordauthentication": "password_authentication",
            "pubkeyauthentication": "pubkey_authentication", "permitemptypasswords": "permit_empty_passwords",
            "x11forwarding": "x11_forwarding", "maxauthtries": "max_auth_tries"}


class SshdCollector:
    name = "sshd"

    def __init__(self, config_path: Path = Path("/etc/ssh/sshd_config"), sshd: str = SSHD):
        self.config_path = Path(config_path)
        self.sshd = sshd

    def collect(self) -> dict:
        if not Path(self.sshd).exists():
            return {"installed": False}
        try:
            done = subprocess.run([self.sshd, "-T", "-f", str(self.config_path)], capture_output=True, text=True,
                                  timeout=TIMEOUT_SECONDS)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise CollectorFailed(f"{self.sshd} -T: {exc}") from None
        if done.returncode != 0:
            reason = (done.stderr or done.stdout).strip().splitlines()
            raise CollectorFailed(f"{self.sshd} -T -f {self.config_path}: {reason[-1] if reason else 'failed'}"[:300])
        return parse_effective(done.stdout)


def parse_effective(text: str) -> dict:
    """`sshd -T` lines ("keyword value...") into the report section."""
    section: dict = {"installed": True, "ports": []}
    for line in text.splitlines():
        keyword, _, value = line.strip().partition(" ")
        if keyword == "port" and value.isdigit():
            section["ports"].append(int(value))
        elif keyword in REPORTED:
            section[REPORTED[keyword]] = int(value) if value.isdigit() else value
    return section
