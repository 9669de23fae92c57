"""Importing Debian's security tracker data: https://security-tracker.debian.org/tracker/data/json.

The file is one JSON object, {source package: {CVE: {"description", "scope",
"debianbug", "releases": {release: {"status", "fixed_version", "urgency",
"nodsa", "nodsa_reason", "repositories"}}}}} (the tracker's own generator,
lib/python/security_db.py). It is read as a stream (ijson, one package at a
time), plain, gzip or xz (told by its first bytes), from a file or a URL.

Kept: the releases of `[vulns] releases`, one row per release and source
package holding {CVE: [status, fixed_version, urgency, nodsa, nodsa_reason]};
an entry saying a release was never affected ("resolved", fixed_version "0")
is dropped, since it can never match. Each row carries a digest of its
entries, so a second import of the same data finds every row unchanged and
writes nothing but the import record (0 changes).

All of it happens in the caller's one transaction: a file that is not the
tracker's JSON, breaks off (truncated download) or holds a value of the wrong
type raises TrackerDataError naming the file, the package, the CVE and the
field, before anything is written; the previous data stays. An entry whose
identifier is neither a CVE nor one of the tracker's TEMP-/DSA-/DLA- names is
left out and counted (the import says how many), not a reason to refuse the file.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import lzma
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path

import ijson
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from console.access import audit
from console.access.actor import Actor
from console.access.permissions import require
from console.errors import OpsError
from console.models.base import utcnow
from console.models.vulns import VulnCve, VulnImport, VulnSource
from console.vulns import inventory
from console.vulns.matching import STATUSES

CVE_ID = re.compile(r"(CVE-\d{4}-\d{4,}|TEMP-\d{7}-[0-9A-F]{6}|DSA-\d+-\d+|DLA-\d+-\d+)")
PACKAGE = re.compile(r"[a-z0-9][a-z0-9+.-]{0,127}")
MAX_DOWNLOAD_BYTES = 2 * 1024**3
URGENCIES_NOTE = "low, medium, high, unimportant, not yet assigned, end-of-life"
CHUNK = 2000


class TrackerDataError(OpsError):
    """The file is not usable tracker data; says where and what."""

    exit_code = 4
    http_status = 422


@dataclass
class ImportResult:
    import_id: int
    data_date: datetime
    packages: int
    entries: int
    changes: int
    sha256: str
    skipped: list[str]


@dataclass
class _Parsed:
    sources: dict[tuple[str, str], dict]  # (release, source) -> {cve: entry}
    cves: dict[str, tuple[str, str, int | None]]
    packages: int
    entries: int
    sha256: str
    skipped: list[str]


def import_data(session: Session, actor: Actor, origin: str, releases: tuple[str, ...],
                date: datetime | None = None, timeout: float = 300.0) -> ImportResult:
    """Import a file path or an http(s) URL into the caller's transaction; the caller commits."""
    require(actor, "vulns.import")
    if origin.startswith(("http://", "https://")):
        with tempfile.TemporaryDirectory(prefix="ops-vulns-") as folder:
            path, modified = _download(origin, Path(folder) / "data", timeout)
            parsed = parse(path, set(releases), origin)
    else:
        path = Path(origin)
        try:
            modified = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
        except OSError as exc:
            raise TrackerDataError(f"{origin}: cannot read: {exc.strerror or exc}") from None
        parsed = parse(path, set(releases), origin)
    data_date = date or modified or utcnow()
    changes = _store(session, parsed)
    if changes:
        tables: dict[str, dict] = {}
        for (release, source), entries in parsed.sources.items():
            tables.setdefault(release, {})[source] = entries
        inventory.rematch(session, tables=tables)
    row = VulnImport(data_date=data_date, origin=origin[:500], sha256=parsed.sha256, package_count=parsed.packages,
                     entry_count=parsed.entries, changes=changes, imported_by=actor.username[:64])
    session.add(row)
    session.flush()
    audit.record(session, actor, "vulns.import", "vuln_imports", str(row.id), origin=origin[:300],
                 data_date=data_date.isoformat(), packages=parsed.packages, entries=parsed.entries, changes=changes,
                 skipped=len(parsed.skipped))
    return ImportResult(row.id, data_date, parsed.packages, parsed.entries, changes, parsed.sha256, parsed.skipped)


def _download(url: str, path: Path, timeout: float) -> tuple[Path, datetime | None]:
    import httpx

    size = 0
    try:
        with httpx.stream("GET", url, timeout=timeout, follow_redirects=True) as answer:
            if answer.status_code != 200:
                raise TrackerDataError(f"{url}: the server answered {answer.status_code}")
            with open(path, "wb") as handle:
                for chunk in answer.iter_bytes(1 << 20):
                    size += len(chunk)
                    if size > MAX_DOWNLOAD_BYTES:
                        raise TrackerDataError(f"{url}: larger than {MAX_DOWNLOAD_BYTES} bytes")
                    handle.write(chunk)
            modified = answer.headers.get("last-modified")
    except httpx.HTTPError as exc:
        raise TrackerDataError(f"{url}: download failed: {exc}") from None
    try:
        return path, parsedate_to_datetime(modified).astimezone(timezone.utc) if modified else None
    except (TypeError, ValueError):
        return path, None


def _open(path: Path):
    with open(path, "rb") as handle:
        head = handle.read(6)
    if head.startswith(b"\x1f\x8b"):
        return gzip.open(path, "rb")
    if head.startswith(b"\xfd7zXZ\x00"):
        return lzma.open(path, "rb")
    return open(path, "rb")


def parse(path: Path, releases: set[str], name: str | None = None) -> _Parsed:
    """Read and check the whole file; nothing is written. TrackerDataError names what is wrong."""
    name = name or str(path)
    digest = hashlib.sha256()
    sources: dict[tuple[str, str], dict] = {}
    cves: dict[str, tuple[str, str, int | None]] = {}
    packages = entries = 0
    last = None
    skipped: list[str] = []
    try:
        with _open(path) as raw:
            stream = _Hashing(raw, digest)
            for package, issues in ijson.kvitems(stream, "", use_float=True):
                if package == "_sources":  # provenance notes of a hand-assembled excerpt (tests/data)
                    continue
                last = package
                packages += 1
                entries += _package(name, package, issues, releases, sources, cves, skipped)
    except ijson.IncompleteJSONError as exc:
        where = f" after package {last!r}" if last else ""
        if "premature EOF" in str(exc) or "Incomplete JSON" in str(exc):
            raise TrackerDataError(f"{name}: the JSON ends early{where} (truncated download?)") from None
        raise TrackerDataError(f"{name}: not JSON{where}: {_first_line(exc)}") from None
    except ijson.JSONError as exc:
        raise TrackerDataError(f"{name}: not JSON: {_first_line(exc)}") from None
    except (EOFError, lzma.LZMAError, gzip.BadGzipFile, OSError) as exc:
        where = f" after package {last!r}" if last else ""
        raise TrackerDataError(f"{name}: the compressed file is broken{where} (truncated?): {exc}") from None
    if packages == 0:
        raise TrackerDataError(f"{name}: no source package in the file: not the tracker's data")
    if not sources:
        raise TrackerDataError(f"{name}: no entry for the releases {', '.join(sorted(releases))}")
    return _Parsed(sources, cves, packages, entries, digest.hexdigest(), skipped)


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:160]


class _Hashing:
    """A read-through wrapper: the sha256 of what was decompressed, for the import record."""

    def __init__(self, raw, digest):
        self.raw, self.digest = raw, digest

    def read(self, size=-1):
        data = self.raw.read(size)
        self.digest.update(data)
        return data


def _package(name: str, package, issues, releases: set[str], sources: dict, cves: dict, skipped: list) -> int:
    where = f"{name}: package {package!r}"
    if not isinstance(package, str) or not PACKAGE.fullmatch(package):
        raise TrackerDataError(f"{where}: not a Debian source package name")
    if not isinstance(issues, dict):
        raise TrackerDataError(f"{where}: expected an object of CVEs, found {type(issues).__name__}")
    count = 0
    for cve, issue in issues.items():
        here = f"{where}, {cve}"
        if not isinstance(cve, str) or not CVE_ID.fullmatch(cve):
            skipped.append(f"{package} {cve}"[:100])  # an identifier of a kind not known here: left out, said
            continue
        if not isinstance(issue, dict) or not isinstance(issue.get("releases", {}), dict):
            raise TrackerDataError(f"{here}: expected an object with \"releases\"")
        description = issue.get("description", "")
        if not isinstance(description, str):
            raise TrackerDataError(f"{here}: description: expected text")
        bug = issue.get("debianbug")
        if bug is not None and not isinstance(bug, int):
            raise TrackerDataError(f"{here}: debianbug: expected a number")
        if cve not in cves or (description and not cves[cve][0]):
            cves[cve] = (description[:4000], str(issue.get("scope", ""))[:16], bug)
        for release, verdict in issue.get("releases", {}).items():
            entry = _entry(f"{here}, release {release!r}", verdict)
            if release in releases and entry is not None:
                sources.setdefault((release, package), {})[cve] = entry
                count += 1
    return count


def _entry(where: str, verdict) -> list | None:
    if not isinstance(verdict, dict):
        raise TrackerDataError(f"{where}: expected an object")
    status = verdict.get("status")
    if status not in STATUSES:
        raise TrackerDataError(f"{where}: status: {status!r} is none of {', '.join(STATUSES)}")
    fields = {}
    for key in ("fixed_version", "urgency", "nodsa", "nodsa_reason"):
        value = verdict.get(key)
        if value is not None and not isinstance(value, str):
            raise TrackerDataError(f"{where}: {key}: expected text, found {type(value).__name__}")
        fields[key] = value
    fixed = fields["fixed_version"] or ""
    if status == "resolved" and fixed in ("", "0"):
        return None  # never affected in this release
    return [status, fixed[:128], (fields["urgency"] or "")[:32], fields["nodsa"], fields["nodsa_reason"] or ""]


def _digest(entries: dict) -> str:
    return hashlib.sha256(json.dumps(entries, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _store(session: Session, parsed: _Parsed) -> int:
    """Write only what differs from the stored data; the number of rows inserted, updated or deleted."""
    known = {(release, source): (row_id, digest) for row_id, release, source, digest
             in session.execute(select(VulnSource.id, VulnSource.release, VulnSource.source, VulnSource.digest))}
    inserts, updates = [], []
    for key, entries in parsed.sources.items():
        digest = _digest(entries)
        old = known.pop(key, None)
        if old is None:
            inserts.append({"release": key[0], "source": key[1], "digest": digest, "entries": entries})
        elif old[1] != digest:
            updates.append({"id": old[0], "digest": digest, "entries": entries})
    gone = [row_id for row_id, _digest_ in known.values()]
    for start in range(0, len(inserts), CHUNK):
        session.execute(VulnSource.__table__.insert(), inserts[start:start + CHUNK])
    for start in range(0, len(updates), CHUNK):
        session.execute(update(VulnSource), updates[start:start + CHUNK])
    for start in range(0, len(gone), CHUNK):
        session.execute(delete(VulnSource).where(VulnSource.id.in_(gone[start:start + CHUNK])))
    return len(inserts) + len(updates) + len(gone) + _store_cves(session, parsed.cves)


def _store_cves(session: Session, cves: dict) -> int:
    known = {cve: (description, scope, bug) for cve, description, scope, bug
             in session.execute(select(VulnCve.cve, VulnCve.description, VulnCve.scope, VulnCve.debianbug))}
    inserts, updates = [], []
    for cve, values in cves.items():
        old = known.pop(cve, None)
        row = {"cve": cve, "description": values[0], "scope": values[1], "debianbug": values[2]}
        if old is None:
            inserts.append(row)
        elif old != values:
            updates.append(row)
    for start in range(0, len(inserts), CHUNK):
        session.execute(VulnCve.__table__.insert(), inserts[start:start + CHUNK])
    for start in range(0, len(updates), CHUNK):
        session.execute(update(VulnCve), updates[start:start + CHUNK])
    gone = list(known)
    for start in range(0, len(gone), CHUNK):
        session.execute(delete(VulnCve).where(VulnCve.cve.in_(gone[start:start + CHUNK])))
    return len(inserts) + len(updates) + len(gone)


def current_import(session: Session) -> VulnImport | None:
    return session.scalar(select(VulnImport).order_by(VulnImport.id.desc()).limit(1))


def data_age_days(row: VulnImport | None, now: datetime | None = None) -> int | None:
    if row is None:
        return None
    return max(0, ((now or utcnow()) - row.data_date).days)

