"""`ops vulns import`: the committed excerpt of the real tracker data, plain and compressed, once and again;
a truncated or malformed file refused with the previous data kept."""

from __future__ import annotations

import gzip
import lzma
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from console.cli import main
from console.db import session_scope
from console.models import AuditEvent
from console.models import Host
from console.models.base import utcnow
from console.models.vulns import HostPackages, HostVuln, VulnCve, VulnImport, VulnSource
from probes.collectors.packages import read_status

EXCERPT = Path(__file__).resolve().parents[2] / "data" / "debian-security-tracker-excerpt.json"


def ops(config_file, *args):
    return CliRunner().invoke(main, ["-c", str(config_file), *args])


def snapshot(session_factory) -> tuple:
    with session_scope(session_factory) as db:
        sources = sorted((r.release, r.source, r.digest, r.id) for r in db.scalars(select(VulnSource)))
        cves = sorted((c.cve, c.description) for c in db.scalars(select(VulnCve)))
        found = sorted((v.id, v.host_id, v.cve, v.state, v.first_seen_at) for v in db.scalars(select(HostVuln)))
        imports = db.scalar(select(func.count(VulnImport.id)))
    return sources, cves, found, imports


def a_host_with_this_machines_packages(session_factory) -> None:
    """A host whose list is this machine's real dpkg status: the import's estate match has something to write."""
    now = utcnow()
    with session_scope(session_factory) as db:
        host = Host(name="dtnmt-app-01", address="198.18.0.21")
        db.add(host)
        db.flush()
        db.add(HostPackages(host_id=host.id, report_id="r", release="bookworm", digest="0" * 64, package_count=1,
                            packages=read_status(Path("/var/lib/dpkg/status")), listed_at=now, reported_at=now,
                            reported_digest="0" * 64))


def test_a_second_import_of_the_same_data_changes_nothing_whatever_its_compression(config_file, engine,
                                                                                   session_factory, tmp_path):
    a_host_with_this_machines_packages(session_factory)
    first = ops(config_file, "vulns", "import", str(EXCERPT))
    assert first.exit_code == 0, first.output
    assert "16 source packages" in first.output and "0 changes" not in first.output
    data_before = snapshot(session_factory)[:3]
    assert ("bookworm", "openssh") in {(r, s) for r, s, _d, _i in data_before[0]}
    assert {cve for _id, _host, cve, _state, _at in data_before[2]} == {
        "CVE-2011-4116", "CVE-2022-27943", "CVE-2024-2236", "CVE-2026-1757"}
    packed = tmp_path / "json.gz"
    packed.write_bytes(gzip.compress(EXCERPT.read_bytes()))
    xz = tmp_path / "json.xz"
    xz.write_bytes(lzma.compress(EXCERPT.read_bytes()))
    for again in (EXCERPT, packed, xz):
        result = ops(config_file, "vulns", "import", str(again), "--date", "2026-12-01")
        assert result.exit_code == 0, result.output
        assert result.output.rstrip().endswith("0 changes"), result.output
    assert snapshot(session_factory)[:3] == data_before  # the matches too: same rows, same first_seen_at
    with session_scope(session_factory) as db:
        assert db.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "vulns.import")) == 4


DAMAGES = [
    (lambda raw: raw[: len(raw) * 2 // 3], "ends early after package"),
    (lambda raw: gzip.compress(raw)[:2000], "compressed file is broken"),
    (lambda raw: raw.replace(b'"status": "resolved"', b'"status": "fixed"', 1), "status: 'fixed' is none of"),
    (lambda raw: raw.replace(b'"urgency": "unimportant"', b'"urgency": 3', 1), "urgency: expected text"),
    (lambda raw: b"<html>rate limited</html>", "not JSON"),
]


def test_a_broken_file_is_refused_naming_what_is_wrong_and_the_previous_data_stays(config_file, engine,
                                                                                  session_factory, tmp_path):
    assert ops(config_file, "vulns", "import", str(EXCERPT)).exit_code == 0
    before = snapshot(session_factory)
    for number, (damage, says) in enumerate(DAMAGES):
        bad = tmp_path / f"json-{number}"
        bad.write_bytes(damage(EXCERPT.read_bytes()))
        result = ops(config_file, "vulns", "import", str(bad))
        assert result.exit_code == 4, result.output
        assert str(bad) in result.output and says in result.output, result.output
        assert snapshot(session_factory) == before


def test_data_older_than_the_setting_is_announced_once_until_a_newer_import(session, settings, admin_actor):
    from datetime import datetime, timedelta, timezone

    from console.vulns import tracker
    from console.vulns.staleness import stale_events

    now = datetime.now(timezone.utc)
    tracker.import_data(session, admin_actor, str(EXCERPT), settings.vulns.releases, now - timedelta(days=10))
    first = stale_events(session, settings, now)
    assert [(e.kind, e.params["age_days"], e.params["max_days"]) for e in first] == [("vulns.data_stale", 10, 7)]
    assert stale_events(session, settings, now + timedelta(minutes=1)) == []  # once
    tracker.import_data(session, admin_actor, str(EXCERPT), settings.vulns.releases, now)
    assert stale_events(session, settings, now) == []
    assert len(stale_events(session, settings, now + timedelta(days=8))) == 1  # stale again: said again
