"""The agent's package inventory, read from this machine's real dpkg status file (a Debian 12 host).

The lab hosts share this machine's filesystem, so this status file is theirs too.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from probes.collectors.packages import (FULL_EVERY_SECONDS, PackagesCollector, inventory_digest, read_codename,
                                        read_status)

STATUS = Path("/var/lib/dpkg/status")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed():
    return read_status(STATUS)


def test_every_installed_package_comes_with_its_source_package_and_source_version(installed):
    by_name = {p["name"]: p for p in installed}
    assert len(installed) > 100
    assert by_name["libc6"]["source"] == "glibc"
    assert by_name["libc6"]["source_version"] == by_name["libc6"]["version"]
    # A binNMU: the binary is 5.2.15-2+bN, its source is 5.2.15-2 ("Source: bash (5.2.15-2)").
    bash = by_name["bash"]
    assert bash["version"].startswith(bash["source_version"] + "+b") and bash["source"] == "bash"
    assert all(p["arch"] in ("amd64", "all", "i386", "arm64") for p in installed)
    assert read_codename(Path("/etc/os-release")) == "bookworm"


def test_python_apt_and_python_debian_read_the_same_list(installed):
    """The agent reads with python3-apt where its venv sees it; the console's venv has python-debian only."""
    code = ("import json, sys; from probes.collectors.packages import read_status;"
            "json.dump(read_status(sys.argv[1]), sys.stdout)")
    done = subprocess.run(["/usr/bin/python3", "-c", code, str(STATUS)], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert json.loads(done.stdout) == installed


def test_a_package_removed_but_not_purged_is_not_installed(tmp_path, installed):
    text = STATUS.read_text()
    first = text.split("\n\n", 1)[0]
    name = next(line.split(": ", 1)[1] for line in first.splitlines() if line.startswith("Package: "))
    status = next(line for line in first.splitlines() if line.startswith("Status: "))
    changed = tmp_path / "status"
    changed.write_text(text.replace(first, first.replace(status, "Status: deinstall ok config-files"), 1))
    names = [p["name"] for p in read_status(changed)]
    assert name not in names and len(names) == len(installed) - 1


def test_the_full_list_goes_when_it_changed_or_once_a_day_else_only_its_digest(tmp_path, installed):
    status = tmp_path / "status"
    status.write_bytes(STATUS.read_bytes())
    now = [1_000_000.0]
    collector = PackagesCollector(tmp_path / "state", interval_minutes=60, status=status,
                                  os_release=Path("/etc/os-release"), clock=lambda: now[0])
    first = collector.collect()
    assert first["packages"] == installed and first["count"] == len(installed)
    assert first["digest"] == inventory_digest("bookworm", installed)
    assert collector.collect() is None  # within the interval
    now[0] += 3600
    second = collector.collect()
    assert "packages" not in second and second["digest"] == first["digest"]
    text = status.read_text()
    status.write_text(text.replace("Status: install ok installed", "Status: deinstall ok config-files", 1))
    now[0] += 3600
    third = collector.collect()
    assert third["count"] == len(installed) - 1 and len(third["packages"]) == len(installed) - 1
    now[0] += FULL_EVERY_SECONDS
    assert "packages" in collector.collect()  # a day later: the full list again, unchanged
