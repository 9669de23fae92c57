"""Benchmark: Debian security tracker data imported and matched against 1,000 hosts x 1,500 packages.

No machine here reaches the tracker, so its data is generated with the real file's structure
({source: {CVE: {description, scope, debianbug, releases: {release: {status, repositories,
fixed_version, urgency, nodsa, nodsa_reason}}}}}, six releases per entry, statuses and urgencies in
proportions chosen here, not measured from the real file) at a size given by --packages and --cves-per-package; the file's
size is printed. The hosts run generated bookworm package lists: 1,500 source packages each, about
a tenth of them with tracker entries, each at one of a few versions (an estate runs a handful of
versions of each package), one kernel image built from linux-signed-amd64.

Measured, in one run:
- the import (`tracker.import_data`: parse, store, match the estate) of the whole file, once;
- a second import of the same file (0 changes);
- the estate match on its own (`inventory.rematch`: all hosts);
- the host page p95 (GET /hosts/<name> through the Flask app, a logged-in auditor, random hosts);
- a naive baseline: for each host, every installed package compared with every tracker entry of the
  release (no index by package, no cache), over --naive-hosts hosts, extrapolated to the estate.

    .venv/bin/python bench/vulns.py [--hosts 1000] [--packages-per-host 1500] [--packages 8000]
        [--cves-per-package 8] [--naive-hosts 5] [--page-requests 200]

Targets: the estate matched in under 30 s, the host page p95 under 100 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from debian.debian_support import version_compare  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from console import migrate  # noqa: E402
from console.access.actor import Actor  # noqa: E402
from console.db import make_engine, make_session_factory, session_scope  # noqa: E402
from console.models import Host, HostStatus  # noqa: E402
from console.models.base import utcnow  # noqa: E402
from console.models.vulns import HostPackages  # noqa: E402
from console.vulns import inventory, tracker  # noqa: E402
from console.vulns.matching import tracked_sources  # noqa: E402

RELEASES = ("buster", "bullseye", "bookworm", "trixie", "forky", "sid")
URGENCIES = ["not yet assigned"] * 5 + ["unimportant"] * 3 + ["low"] * 2 + ["medium", "high"]


def package_version(index: int, step: int) -> str:
    return f"{index % 7 + 1}.{index % 13}.{step}-1+deb12u{step}"


def generate_tracker(path: Path, packages: int, per_package: int, seed: int = 7) -> None:
    """Written as a stream: the file is as large as the real one's order of magnitude, not held in memory."""
    rng = random.Random(seed)
    cve = 0
    with open(path, "w") as out:
        out.write("{")
        for index in range(packages):
            entries = {}
            for _ in range(rng.randint(1, per_package * 2 - 1)):
                cve += 1
                entries[f"CVE-{2015 + cve % 11}-{10000 + cve}"] = _entry(rng, index)
            out.write(("," if index else "") + json.dumps(f"pkg{index}") + ":" + json.dumps(entries))
        out.write("}")


def _entry(rng: random.Random, index: int) -> dict:
    releases = {}
    for release in RELEASES:
        roll = rng.random()
        urgency = rng.choice(URGENCIES)
        if roll < 0.25:
            releases[release] = {"status": "resolved", "repositories": {release: package_version(index, 3)},
                                 "fixed_version": "0", "urgency": urgency}
        elif roll < 0.75:
            releases[release] = {"status": "resolved", "repositories": {release: package_version(index, 3)},
                                 "fixed_version": package_version(index, rng.randint(1, 5)), "urgency": urgency}
        elif roll < 0.9:
            releases[release] = {"status": "open", "repositories": {release: package_version(index, 3)},
                                 "urgency": urgency, "nodsa": "Minor issue", "nodsa_reason": rng.choice(["", "ignored", "postponed"])}
        elif roll < 0.97:
            releases[release] = {"status": "open", "repositories": {release: package_version(index, 3)}, "urgency": urgency}
        else:
            releases[release] = {"status": "undetermined", "urgency": "not yet assigned"}
    return {"description": "A generated issue of about the length of a real CVE summary line, for size only.",
            "scope": "remote", "debianbug": 1000000 + index, "releases": releases}


def host_packages(rng: random.Random, tracked: int, per_host: int) -> list[dict]:
    with_entries = rng.sample(range(tracked), min(tracked, per_host // 10))
    packages = [{"name": f"lib{i}", "version": package_version(i, rng.choice((2, 3, 4))), "arch": "amd64",
                 "source": f"pkg{i}", "source_version": ""} for i in with_entries]
    packages += [{"name": f"other{i}", "version": "1.0-1", "arch": "amd64", "source": f"untracked{i}",
                  "source_version": "1.0-1"} for i in range(per_host - len(packages) - 1)]
    for package in packages:
        package["source_version"] = package["source_version"] or package["version"]
    packages.append({"name": "linux-image-6.1.0-21-amd64", "version": "6.1.90-1", "arch": "amd64",
                     "source": "linux-signed-amd64", "source_version": "6.1.90+1"})
    return packages


def generate_hosts(factory, hosts: int, per_host: int, tracked: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    names = [f"bench-{i:04d}" for i in range(hosts)]
    now = utcnow()
    with session_scope(factory) as db:
        db.execute(insert(Host), [{"name": name, "address": "198.18.1.1", "unit": f"unit_{i % 10}",
                                   "status": HostStatus.active, "roles": [], "variables": {}}
                                  for i, name in enumerate(names)])
        ids = dict(db.execute(Host.__table__.select().with_only_columns(Host.name, Host.id)).all())
        for start in range(0, hosts, 100):
            rows = [{"host_id": ids[name], "report_id": "bench", "release": "bookworm", "digest": "0" * 64,
                     "package_count": per_host, "packages": host_packages(rng, tracked, per_host), "listed_at": now,
                     "reported_at": now, "reported_digest": "0" * 64} for name in names[start:start + 100]]
            db.execute(insert(HostPackages), rows)
    return names


def naive(factory, path: Path, hosts: int) -> float:
    """Seconds per host: every installed package against every bookworm entry of the whole file, no index."""
    parsed = tracker.parse(path, {"bookworm"})
    flat = [(source, cve, entry) for (release, source), entries in parsed.sources.items() for cve, entry in entries.items()]
    with session_scope(factory) as db:
        lists = [row.packages for row in db.query(HostPackages).limit(hosts)]
    started, cpu = time.perf_counter(), time.process_time()
    found = 0
    for packages in lists:
        for source, version in tracked_sources(packages):
            for entry_source, _cve, entry in flat:
                if entry_source == source and entry[0] == "resolved" and version_compare(version, entry[1]) < 0:
                    found += 1
    count = max(1, len(lists))
    return (time.perf_counter() - started) / count, (time.process_time() - cpu) / count


def page_p95(settings_path: Path, names: list[str], requests: int) -> tuple[float, float, float]:
    from console import create_app
    from console.access import users
    from console.settings import load_settings

    settings = load_settings(settings_path)
    app = create_app(settings)
    with session_scope(make_session_factory(make_engine(settings.database_url), settings)) as db:
        users.create_user(db, Actor.cli(), settings.security, "bench", "auditor", password="bench-password-1234")
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    client.post("/login", data={"username": "bench", "password": "bench-password-1234", "csrf_token": token})
    rng = random.Random(3)
    times, cpu_times = [], []
    for _ in range(requests):
        name = rng.choice(names)
        started, cpu = time.perf_counter(), time.process_time()
        answer = client.get(f"/hosts/{name}")
        times.append(time.perf_counter() - started)
        cpu_times.append(time.process_time() - cpu)
        assert answer.status_code == 200 and "CVE-" in answer.get_data(as_text=True)
    times.sort()
    cpu_times.sort()
    p95 = int(len(times) * 0.95) - 1
    return statistics.median(times) * 1000, times[p95] * 1000, cpu_times[p95] * 1000


class Clock:
    """Wall and CPU seconds of a step: on a shared, loaded machine the CPU time is the step's own cost."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu

    def __str__(self) -> str:
        return f"{self.wall:.1f} s | {self.cpu:.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--packages-per-host", type=int, default=1500)
    parser.add_argument("--packages", type=int, default=8000, help="source packages in the generated tracker file")
    parser.add_argument("--cves-per-package", type=int, default=8, help="mean CVEs per source package")
    parser.add_argument("--naive-hosts", type=int, default=5)
    parser.add_argument("--page-requests", type=int, default=200)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ops-bench-vulns-"))
    try:
        data = folder / "tracker.json"
        started = time.perf_counter()
        generate_tracker(data, args.packages, args.cves_per_package)
        print(f"python {platform.python_version()}, {platform.machine()}, SQLite; tracker file generated: "
              f"{data.stat().st_size / 1e6:.0f} MB, {args.packages} source packages "
              f"({time.perf_counter() - started:.0f} s)")
        config = folder / "ops.toml"
        url = f"sqlite:///{folder / 'ops.db'}"
        config.write_text(f'[console]\nsecret_key = "bench-secret-key-not-for-production"\n[database]\nurl = "{url}"\n'
                          f'[paths]\nvar_dir = "{folder / "var"}"\n[inventory]\npath = "{REPO / "inventory"}"\n')
        engine = make_engine(url)
        migrate.upgrade(engine)
        factory = make_session_factory(engine)
        names = generate_hosts(factory, args.hosts, args.packages_per_host, args.packages)
        load = open("/proc/loadavg").read().split()[0]
        print(f"load average at start: {load} ({os.cpu_count()} CPUs)")
        print("| step | wall | CPU (this process) |\n|---|---|---|")
        with Clock() as clock, session_scope(factory) as db:
            result = tracker.import_data(db, Actor.cli(), str(data), ("bullseye", "bookworm", "trixie"))
        print(f"| import + estate match ({result.entries} entries of 3 releases, {result.changes} changes) | {clock} |")
        with Clock() as clock, session_scope(factory) as db:
            again = tracker.import_data(db, Actor.cli(), str(data), ("bullseye", "bookworm", "trixie"))
        print(f"| second import of the same file ({again.changes} changes) | {clock} |")
        with Clock() as clock, session_scope(factory) as db:
            findings = inventory.rematch(db)
        print(f"| estate match alone, {args.hosts} hosts x {args.packages_per_host} packages ({findings} findings) "
              f"| {clock} |")
        estate = clock.cpu
        median, p95, cpu95 = page_p95(config, names, args.page_requests)
        print(f"| host page, {args.page_requests} requests: median / p95 | {median:.0f} ms / {p95:.0f} ms | "
              f"p95 {cpu95:.0f} ms |")
        per_host_wall, per_host_cpu = naive(factory, data, args.naive_hosts)
        print(f"| naive loop (every package x every entry), {args.naive_hosts} hosts, extrapolated to {args.hosts} "
              f"| {per_host_wall * args.hosts:.0f} s | {per_host_cpu * args.hosts:.0f} s "
              f"({per_host_cpu * args.hosts / max(estate, 0.001):.0f}x the estate match's CPU) |")
        print(f"load average at end: {open('/proc/loadavg').read().split()[0]}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
