"""SRV-09's evidence: a high-urgency CVE with a fix available counts once it has waited past
[vulns] fix_overdue_days, and no longer once waived.

The finding row is written directly (the excerpt of real tracker data has no high-urgency entry)."""

from __future__ import annotations

from datetime import timedelta

from console.models import Host
from console.models.base import utcnow
from console.models.vulns import HostPackages, HostVuln
from console.vulns import waivers
from console.vulns.queries import control_evidence


def test_an_overdue_high_urgency_fix_counts_until_it_is_waived(session, admin_actor):
    now = utcnow()
    host = Host(name="dtnmt-web-09", address="198.18.0.9")
    session.add(host)
    session.flush()
    session.add(HostPackages(host_id=host.id, report_id="r", release="bookworm", digest="0" * 64, package_count=1,
                             packages=[], listed_at=now, reported_at=now, reported_digest="0" * 64))
    for cve, age in (("CVE-2000-0001", 40), ("CVE-2000-0002", 5)):
        session.add(HostVuln(host_id=host.id, cve=cve, source="openssh", installed="1:9.2p1-2", state="fixable",
                             fixed_version="1:9.2p1-2+deb12u1", urgency="high", first_seen_at=now - timedelta(days=age)))
    session.flush()
    evidence = control_evidence(session, [host.id], now)[host.id]
    assert (evidence["high_fixable_overdue"], evidence["fix_overdue_days"]) == (1, 30)
    assert evidence["data_age_days"] is None  # nothing imported: SRV-10 is unknown
    waivers.waive(session, admin_actor, host.name, "CVE-2000-0001", "compensating control in place", now + timedelta(days=10))
    assert control_evidence(session, [host.id], now)[host.id]["high_fixable_overdue"] == 0
