"""Pending security updates: what apt would upgrade from a security suite, from apt's own cache.

apt's package cache is read by python-apt (`apt_pkg`, Debian's python3-apt,
which the agent's venv sees as a system package) in a short-lived child
process: loading the cache costs tens of MB that the agent itself must not
keep (it stays under 40 MB). Where apt_pkg is missing, the child falls back to
apt's simulated upgrade (`apt-get -s dist-upgrade`, "Inst pkg [old] (new
suite [arch])" lines, apt-get(8) `--simulate`), which needs no lock and
changes nothing. Both read only the package lists on disk, so the check
works offline, from the last `apt update`, and says when that was
(`apt_updated_at`: the mtime of APT::Periodic's update-success-stamp, else of
the newest Release file in /var/lib/apt/lists).

A candidate is a security update when one of the archives it comes from is a
security suite (suite ending in "-security", or label "Debian-Security").

How long an update has been pending is measured from the first time this
agent saw it pending (kept in `state_dir/updates-seen.json`), not from a
publication date: the Release file's Date is when the whole suite was last
regenerated (daily), not when a package version appeared, and the changelog
date needs the .deb or the network. The age is therefore a lower bound on a
host whose agent is new.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from probes.collectors import CollectorFailed

APT_GET = "/usr/bin/apt-get"
NICE = "/usr/bin/nice"
LISTS = Path("/var/lib/apt/lists")
STAMP = Path("/var/lib/apt/periodic/update-success-stamp")
SEEN_FILE = "updates-seen.json"
MAX_PACKAGES = 100
TIMEOUT_SECONDS = 120
NO_APT_PKG = 3
INST = re.compile(r"^Inst (\S+) (?:\[([^\]]*)\] )?\((\S+) (.*?)(?: \[[^\]]*\])?\)")


class UpdatesCollector:
    name = "updates"

    def __init__(self, state_dir: Path, interval_minutes: int = 60, python: str = sys.executable,
                 apt_get: str = APT_GET, lists_dir: Path = LISTS, stamp: Path = STAMP, clock=time.time):
        self.state_dir = Path(state_dir)
        self.interval_seconds = interval_minutes * 60
        self.python, self.apt_get = python, apt_get
        self.lists_dir, self.stamp = Path(lists_dir), Path(stamp)
        self.clock = clock
        self.last_checked = float("-inf")

    def collect(self) -> dict | None:
        """The section once per interval; None (nothing to ship) in between."""
        if self.clock() - self.last_checked < self.interval_seconds:
            return None
        self.last_checked = self.clock()
        if not Path(self.apt_get).exists():
            return None  # not a Debian host: nothing to say
        source, pending = self._pending()
        return self._section(source, pending, datetime.now(timezone.utc))

    def _pending(self) -> tuple[str, list[dict]]:
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "LC_ALL": "C.UTF-8"}
        try:
            done = subprocess.run([NICE, "-n", "10", self.python, "-m", "probes.collectors.updates", self.apt_get],
                                  capture_output=True, text=True, timeout=TIMEOUT_SECONDS, env=env)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise CollectorFailed(f"reading apt's cache: {exc}") from None
        if done.returncode != 0:
            reason = (done.stderr or done.stdout).strip().splitlines()
            raise CollectorFailed(f"reading apt's cache: {reason[-1] if reason else done.returncode}"[:300])
        answer = json.loads(done.stdout)
        return answer["source"], [p for p in answer["packages"] if p["security"]]

    def _section(self, source: str, pending: list[dict], now: datetime) -> dict:
        seen = self._update_seen(pending, now)
        pending.sort(key=lambda p: (seen[p["name"]], p["name"]))
        packages = [{"name": p["name"][:128], "installed": p["installed"][:64], "candidate": p["candidate"][:64],
                     "first_seen_at": seen[p["name"]]} for p in pending[:MAX_PACKAGES]]
        return {"source": source, "checked_at": now.isoformat(), "apt_updated_at": self._apt_updated_at(),
                "security_pending_count": len(pending),
                "oldest_pending_since": packages[0]["first_seen_at"] if packages else None,
                "age_basis": "first_seen_by_agent", "packages": packages,
                "dropped_packages": max(0, len(pending) - MAX_PACKAGES)}

    def _update_seen(self, pending: list[dict], now: datetime) -> dict[str, str]:
        """{package: first time seen pending}; a package no longer pending is forgotten."""
        path = self.state_dir / SEEN_FILE
        try:
            known = json.loads(path.read_text())
        except (OSError, ValueError):
            known = {}
        seen = {p["name"]: known.get(p["name"]) if isinstance(known.get(p["name"]), str) else now.isoformat()
                for p in pending}
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{SEEN_FILE}.tmp")
        tmp.write_text(json.dumps(seen))
        os.replace(tmp, path)
        return seen

    def _apt_updated_at(self) -> str | None:
        try:
            return _mtime(self.stamp.stat().st_mtime)
        except OSError:
            pass
        times = [path.stat().st_mtime for path in self.lists_dir.glob("*Release") if path.is_file()]
        return _mtime(max(times)) if times else None


def _mtime(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat()


def is_security(archive: str, label: str = "") -> bool:
    return archive.endswith("-security") or label == "Debian-Security"


def parse_simulation(text: str) -> list[dict]:
    """`apt-get -s dist-upgrade` "Inst" lines into packages; pure.

    A line reads `Inst NAME [INSTALLED] (CANDIDATE ORIGIN:VERSION/SUITE[, ORIGIN:VERSION/SUITE...] [ARCH])`;
    a new package has no [INSTALLED].
    """
    found = []
    for line in text.splitlines():
        match = INST.match(line)
        if not match:
            continue
        name, installed, candidate, origins = match.groups()
        suites = [part.strip() for part in origins.split(",")]
        security = any(is_security(suite.rpartition("/")[2], suite.partition(":")[0]) for suite in suites)
        found.append({"name": name, "installed": installed or "", "candidate": candidate, "security": security})
    return found


def _with_apt_pkg() -> list[dict]:
    import apt_pkg  # python3-apt; absent in a venv without system packages

    apt_pkg.init()
    cache = apt_pkg.Cache(None)
    depcache = apt_pkg.DepCache(cache)
    depcache.upgrade(True)  # what dist-upgrade would do
    found = []
    for package in cache.packages:
        current = package.current_ver
        if current is None or not depcache.marked_upgrade(package):
            continue
        candidate = depcache.get_candidate_ver(package)
        security = any(is_security(pfile.archive or "", pfile.label or "") for pfile, _index in candidate.file_list)
        found.append({"name": package.name, "installed": current.ver_str, "candidate": candidate.ver_str,
                      "security": security})
    return found


def _child(apt_get: str) -> int:
    """`python -m probes.collectors.updates APT_GET`: print the upgradable packages as JSON."""
    try:
        packages, source = _with_apt_pkg(), "apt_pkg"
    except ImportError:
        done = subprocess.run([apt_get, "-s", "-q", "-o", "Debug::NoLocking=1", "dist-upgrade"], capture_output=True,
                              text=True, timeout=TIMEOUT_SECONDS)
        if done.returncode != 0:
            print(f"apt-get -s dist-upgrade: {done.stderr.strip()[-300:]}", file=sys.stderr)
            return 1
        packages, source = parse_simulation(done.stdout), "apt-get"
    print(json.dumps({"source": source, "packages": packages}))
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1] if len(sys.argv) > 1 else APT_GET))
