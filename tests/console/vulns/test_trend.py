"""The reports' vulnerability trend: the estate's figures kept per day (the console's zone, Asia/Ho_Chi_Minh in
the shipped ops.toml), the last change of a day winning, read back per day of the last month or per month of
a year. The finding rows are written directly, as in test_control_evidence.py."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import delete

from console.models import Host
from console.models.vulns import HostVuln, VulnDay, VulnImport
from console.vulns.queries import record_day, report_figures, trend


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def add_findings(session, host: Host, *rows: tuple[str, str, str]) -> None:
    for cve, state, urgency in rows:
        session.add(HostVuln(host_id=host.id, cve=cve, source="openssl", installed="3.0.11-1~deb12u2", state=state,
                             fixed_version="3.0.13-1~deb12u1" if state == "fixable" else "", urgency=urgency))
    session.flush()


def test_the_figures_are_kept_per_day_in_the_consoles_zone_and_read_back_as_a_trend(session):
    host = Host(name="dtnmt-web-09", address="198.18.0.9")
    session.add(host)
    session.flush()
    add_findings(session, host, ("CVE-2024-0727", "fixable", "high"), ("CVE-2024-2511", "open", "low"))
    assert record_day(session, at("2026-03-02T01:00:00")) is None  # no data imported yet: no point at all
    session.add(VulnImport(data_date=at("2026-03-01T00:00:00"), origin="test", sha256="0" * 64))
    session.flush()

    first = record_day(session, at("2026-03-02T01:00:00"))
    assert (first.day, first.findings, first.fixable, first.high, first.hosts_affected) == (date(2026, 3, 2), 2, 1, 1, 1)
    session.execute(delete(HostVuln).where(HostVuln.cve == "CVE-2024-0727"))  # the fix installed
    record_day(session, at("2026-03-02T09:00:00"))  # later that day: the day keeps its last figures
    # 20:00 UTC on 31 March is 03:00 on 1 April in Ho Chi Minh City: a point of April.
    add_findings(session, host, ("CVE-2024-4741", "fixable", "low"))
    record_day(session, at("2026-03-31T20:00:00"))
    add_findings(session, host, ("CVE-2024-5535", "fixable", "high"))
    record_day(session, at("2026-04-20T05:00:00"))

    assert session.query(VulnDay).count() == 3
    assert [(p["label"], p["findings"], p["fixable"], p["high"]) for p in trend(session, year=2026)] == [
        ("2026-03", 1, 0, 0), ("2026-04", 3, 2, 1)]
    assert [(p["label"], p["findings"]) for p in trend(session, today=date(2026, 4, 20))] == [
        ("2026-04-01", 2), ("2026-04-20", 3)]  # the last month only: 2 March is past it
    assert trend(session, year=2025) == []


def test_the_report_figures_carry_the_trend_of_the_last_month_or_of_the_year(session):
    session.add(VulnImport(data_date=datetime.now(timezone.utc), origin="test", sha256="0" * 64))
    session.flush()
    record_day(session)
    daily = report_figures(session)
    assert daily["trend_by"] == "day" and len(daily["trend"]) == 1 and daily["trend"][0]["findings"] == 0
    yearly = report_figures(session, year=datetime.now(timezone.utc).year)
    assert yearly["trend_by"] == "month" and len(yearly["trend"]) == 1
