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

The reading happens in a short-lived child process (`python -m
probes.collectors.packages`), as the pending-updates check does: parsing 1,500
paragraphs leaves about 12 MB in the reader's heap, which the agent itself
must not keep (it stays under 40 MB).

The console keeps the last full list per host. The section carries the full
list when it differs from the last one this agent sent, or once a day (a lost
report or a console restored from backup catches up); otherwise only its
sha256 digest and count, so an unchanged host costs a few bytes per interval.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from probes.collectors import CollectorFailed

STATUS = Path("/var/lib/dpkg/status")
OS_RELEASE = Path("/etc/os-release")
SENT_FILE = "packages-sent.json"
FULL_EVERY_SECONDS = 24 * 3600
MAX_PACKAGES = 20000
NICE = "/usr/bin/nice"
TIMEOUT_SECONDS = 120


class PackagesCollector:
    name = "packages"

    def __init__(self, state_dir: Path, interval_minutes: int = 60, status: Path = STATUS,
                 os_release: Path = OS_RELEASE, clock=time.time, python: str = sys.executable):
        self.state_dir = Path(state_dir)
        self.python = python
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
        known = self._sent_digest()
        answer = self._read(known)
        section = {"release": answer["release"], "digest": answer["digest"], "count": answer["count"]}
        if answer["digest"] != known:
            section["packages"] = answer["packages"][:MAX_PACKAGES]
            self._remember(answer["digest"])
        return section

    def _read(self, known: str) -> dict:
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "LC_ALL": "C.UTF-8"}
        command = [self.python, "-m", "probes.collectors.packages", str(self.status), str(self.os_release), known]
        if Path(NICE).exists():
            command = [NICE, "-n", "10", *command]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, env=env)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise CollectorFailed(f"reading {self.status}: {exc}") from None
        if done.returncode != 0:
            reason = done.stderr.strip().splitlines()
            raise CollectorFailed((reason[-1] if reason else f"reading {self.status}: exit {done.returncode}")[:300])
        return json.loads(done.stdout)

    def _sent_digest(self) -> str:
        """The digest of the last full list sent, while it is less than a day old; else "" (send the list)."""
        try:
            sent = json.loads((self.state_dir / SENT_FILE).read_text())
        except (OSError, ValueError):
            return ""
        if not isinstance(sent, dict) or not isinstance(sent.get("at"), (int, float)):
            return ""
        fresh = self.clock() - sent["at"] < FULL_EVERY_SECONDS
        return str(sent.get("digest", "")) if fresh else ""

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


def _child(status: str, os_release: str, known: str) -> int:
    """`python -m probes.collectors.packages STATUS OS_RELEASE KNOWN_DIGEST`: print the section as JSON.

    The list is left out when its digest is KNOWN_DIGEST.
    """
    try:
        packages = read_status(Path(status))
    except CollectorFailed as exc:
        print(str(exc), file=sys.stderr)
        return 1
    release = read_codename(Path(os_release))
    digest = inventory_digest(release, packages)
    answer = {"release": release, "digest": digest, "count": len(packages)}
    if digest != known:
        answer["packages"] = packages
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(_child(*(sys.argv[1:4] + [""] * (3 - len(sys.argv[1:4])))))
