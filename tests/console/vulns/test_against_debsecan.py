"""The same cases against Debian's own scanner: debsecan (Debian package debsecan), run offline.

debsecan reads the tracker's per-release feed (tracker/debsecan/release/1/SUITE: zlib-compressed lines
"VERSION 1", the issues, then per package "name,issue,flags,fixed version,other fixed versions").
No machine here reaches the tracker, so the committed excerpt's bookworm entries are written in that format
(a version fixed in bookworm is the entry's fixed version, flag F; an open one has none; a release never
affected has no line, as in the tracker's feed) and served to debsecan as a file: URL with --source.
Both then read the same dpkg status files: this machine's (a Debian 12 host) and a hand-made one with
older versions. The CVEs each reports per source package must be the same.

Left out, where debsecan and this console differ on purpose: kernel images (debsecan takes their source,
linux-signed-amd64, which the tracker does not track; the console matches them as linux), and Debian's
no-dsa/ignored notes, which the feed does not carry (both list those CVEs; only the console names the
decision).
"""

from __future__ import annotations

import subprocess
import zlib
from pathlib import Path

import pytest

from console.vulns.matching import match_host, tracked_sources
from console.vulns.tracker import parse
from probes.collectors.packages import read_status

EXCERPT = Path(__file__).resolve().parents[2] / "data" / "debian-security-tracker-excerpt.json"
DEBSECAN = "/usr/bin/debsecan"  # Debian package debsecan (scripts/install-debian-packages.sh test)

OLDER = [  # (binary, version, source, source version): versions of real bookworm packages, before their fixes
    ("openssh-client", "1:9.2p1-2+deb12u5", "openssh", None),
    ("libxml2", "2.9.14+dfsg-1.3~deb12u4", "libxml2", None),
    ("libssl3", "3.0.15-1~deb12u1", "openssl", None),
    ("libcap2", "1:2.66-4", "libcap2", None),
    ("libsqlite3-0", "3.40.1-2", "sqlite3", None),
    ("libkrb5-3", "1.20.1-2+deb12u2", "krb5", None),
    ("erlang-base", "1:25.2.3+dfsg-1", "erlang", None),
    ("python3-paramiko", "2.12.0-2", "paramiko", None),
    ("libcurl4", "7.88.1-10", "curl", None),
    ("libssh2-1", "1.10.0-3+b1", "libssh2", "1.10.0-3"),
]


@pytest.fixture(scope="module")
def bookworm():
    parsed = parse(EXCERPT, {"bookworm"})
    return {source: entries for (_release, source), entries in parsed.sources.items()}


def debsecan_feed(folder: Path, entries_by_source: dict) -> str:
    names = sorted({cve for entries in entries_by_source.values() for cve in entries})
    number = {cve: index for index, cve in enumerate(names)}
    lines = ["VERSION 1"] + [f"{cve},,excerpt" for cve in names] + [""]
    for source, entries in sorted(entries_by_source.items()):
        for cve, (status, fixed, _urgency, _nodsa, _reason) in sorted(entries.items()):
            if status == "resolved":
                lines.append(f"{source},{number[cve]},S ?F,{fixed},")
            else:
                lines.append(f"{source},{number[cve]},S ? ,,")
    lines += [""] + [f"{source}," for source in sorted(entries_by_source)] + [""]
    (folder / "bookworm").write_bytes(zlib.compress("\n".join(lines).encode() + b"\n"))
    return folder.as_uri() + "/"


def status_file(path: Path, packages) -> Path:
    paragraphs = []
    for name, version, source, source_version in packages:
        source_field = f"{source} ({source_version})" if source_version else source
        paragraphs.append(f"Package: {name}\nStatus: install ok installed\nArchitecture: amd64\nSource: {source_field}\n"
                          f"Version: {version}\n")
    path.write_text("\n".join(paragraphs))
    return path


def debsecan_says(url: str, status: Path) -> set[tuple[str, str]]:
    done = subprocess.run([DEBSECAN, "--suite", "bookworm", "--source", url, "--status", str(status),
                           "--format", "simple", "--config", "/dev/null"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    by_binary = {p["name"]: p["source"] for p in read_status(status)}
    return {(cve, by_binary[binary]) for cve, binary in (line.split() for line in done.stdout.splitlines() if line)}


def console_says(status: Path, bookworm) -> set[tuple[str, str]]:
    packages = [p for p in read_status(status) if not p["source"].startswith("linux-signed-")]
    return {(f.cve, f.source) for f in match_host(tracked_sources(packages), bookworm.get, {})}


def test_this_hosts_findings_are_debsecans(tmp_path, bookworm):
    url = debsecan_feed(tmp_path, bookworm)
    this_host = Path("/var/lib/dpkg/status")
    assert console_says(this_host, bookworm) == debsecan_says(url, this_host) != set()


def test_older_versions_give_debsecans_findings_too(tmp_path, bookworm):
    url = debsecan_feed(tmp_path, bookworm)
    status = status_file(tmp_path / "status", OLDER)
    found = console_says(status, bookworm)
    assert found == debsecan_says(url, status)
    assert ("CVE-2025-32728", "openssh") in found and ("CVE-2024-6197", "curl") not in found
