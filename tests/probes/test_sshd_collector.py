"""The sshd collector reads the settings in force from Debian's real sshd (`sshd -T`) with test configs."""

from __future__ import annotations

import subprocess

import pytest

from probes.collectors import CollectorFailed
from probes.collectors.sshd import SshdCollector


@pytest.fixture
def host_key(tmp_path, sshd_runtime_dir):
    key = tmp_path / "host_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True, timeout=30)
    return key


def write_config(folder, host_key, *lines: str):
    path = folder / "sshd_config"
    path.write_text("\n".join([f"HostKey {host_key}", *lines]) + "\n")
    return path


def test_a_hardened_config_reports_root_and_password_login_off(tmp_path, host_key):
    config = write_config(tmp_path, host_key, "Port 2222", "PermitRootLogin no", "PasswordAuthentication no")

    section = SshdCollector(config).collect()

    assert section["installed"] is True and section["ports"] == [2222]
    assert section["permit_root_login"] == "no" and section["password_authentication"] == "no"


def test_an_earlier_include_wins_over_a_later_hardening_line(tmp_path, host_key):
    """sshd takes the first value it reads: an Include above the hardening line decides."""
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "10-vendor.conf").write_text("PermitRootLogin yes\n")
    config = write_config(tmp_path, host_key, f"Include {tmp_path}/conf.d/*.conf", "PermitRootLogin no")

    assert SshdCollector(config).collect()["permit_root_login"] == "yes"


def test_a_config_sshd_refuses_is_a_collector_failure_with_sshd_s_reason(tmp_path, host_key):
    config = write_config(tmp_path, host_key, "PermitRootLogin perhaps")

    with pytest.raises(CollectorFailed, match="sshd -T .*perhaps"):
        SshdCollector(config).collect()


def test_a_host_without_sshd_says_so(tmp_path):
    assert SshdCollector(tmp_path / "sshd_config", sshd=str(tmp_path / "no-sshd")).collect() == {"installed": False}
