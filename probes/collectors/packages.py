"""Installed packages: what dpkg says is installed, with the source package each binary was built from.

dpkg's status file (/var/lib/dpkg/status, deb822 paragraphs, deb-control(5)) is
read with python-apt's `apt_pkg.TagFile` (Debian's python3-apt, which the
agent's venv sees as a system package), or python-debian's deb822 where
python3-apt is absent: no `dpkg -l` output is parsed. A
package counts when its Status reads "install ok installed". Its source
package is the `Source:` field, which names a version in parentheses when
the source version differs from the binary's ("glibc (2.36-9+deb12u4)");
without a Source field the source is the binary itself, same version.

The release codename comes from /etc/os-release (VERSION_CODENAME).

The console keeps the last full list per host. The section carries the full
list when it differs from the last one this agent sent, or once a day (a lost
report or a console restored from backup catches up); otherwise only its
sha256 digest and count, so an unchanged host costs a few bytes per interval.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from probes.collectors import CollectorFailed

STATUS = Path("/var/lib/dpkg/status")
OS_RELEASE = Path("/etc/os-release")
SENT_FILE = "packages-sent.json"
FULL_EVERY_SECONDS = 24 * 3600
MAX_PACKAGES = 20000


class PackagesCollector:
    name = "packages"

    def __init__(self, state_dir: Path, interval_minutes: int = 60, status: Path = STATUS,
                 os_release: Path = OS_RELEASE, clock=time.time):
        self.state_dir = Path(state_dir)
        self.interval_seconds = interval_minutes * 60
        self.status, self.os_release = Path(status), Path(os_release)
        self.clock = clock
        self.last_checked = float("-inf")

    def collect(self) -> dict | None:
        """The section once per interval (None in between, and on a host without dpkg)."""
        if self.clock() - self.last_checked < self.interval_seconds:
            return None
        self.last_checked = self.clock()
        if not self.status.exists():
            return None
        packages = read_status(self.status)
        release = read_codename(self.os_release)
        digest = inventory_digest(release, packages)
        section = {"release": release, "digest": digest, "count": len(packages)}
        if self._must_send_full(digest):
            section["packages"] = packages[:MAX_PACKAGES]
            self._remember(digest)
        return section

    def _must_send_full(self, digest: str) -> bool:
        try:
            sent = json.loads((self.state_dir / SENT_FILE).read_text())
        except (OSError, ValueError):
            return True
        if not isinstance(sent, dict) or sent.get("digest") != digest:
            return True
        return not isinstance(sent.get("at"), (int, float)) or self.clock() - sent["at"] >= FULL_EVERY_SECONDS

    def _remember(self, digest: str) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.state_dir / SENT_FILE
        tmp = path.with_name(f".{SENT_FILE}.tmp")
        tmp.write_text(json.dumps({"digest": digest, "at": self.clock()}))
        os.replace(tmp, path)


def read_status(path: Path) -> list[dict]:
    """The installed packages of a dpkg status file, sorted by name and architecture.

    Read by python-apt's TagFile where the agent sees python3-apt, else by python-debian's deb822
    (the console's venv, a host with python3-debian); both parse the same deb822 paragraphs.
    """
    found = []
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for section in _paragraphs(handle):
                package = _package(section)
                if package is not None:
                    found.append(package)
    except (OSError, SystemError, ValueError) as exc:
        raise CollectorFailed(f"reading {path}: {exc}") from None
    found.sort(key=lambda p: (p["name"], p["arch"]))
    return found


def _paragraphs(handle):
    try:
        import apt_pkg  # python3-apt
    except ImportError:
        pass
    else:
        return apt_pkg.TagFile(handle)
    try:
        from debian.deb822 import Deb822  # python-debian
    except ImportError:
        raise CollectorFailed("neither python3-apt nor python-debian is installed: cannot read dpkg's status file") from None
    return Deb822.iter_paragraphs(handle, use_apt_pkg=False)


def _package(section) -> dict | None:
    status = (section.get("Status") or "").split()
    if len(status) != 3 or status[2] != "installed":
        return None
    name, version = section.get("Package") or "", section.get("Version") or ""
    if not name or not version:
        return None
    source, _, rest = (section.get("Source") or name).partition(" ")
    source_version = rest.strip().strip("()").strip() or version
    return {"name": name[:128], "version": version[:128], "arch": (section.get("Architecture") or "")[:32],
            "source": source[:128], "source_version": source_version[:128]}


def read_codename(path: Path) -> str | None:
    """VERSION_CODENAME of os-release(5), else None."""
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "VERSION_CODENAME":
            return value.strip().strip("\"'")[:32] or None
    return None


def inventory_digest(release: str | None, packages: list[dict]) -> str:
    """sha256 of the release and the sorted list, in a canonical JSON form (the console recomputes it)."""
    text = json.dumps({"release": release, "packages": packages}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
