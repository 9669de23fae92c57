"""The inbox query: every filter, stable keyset pages, enrichment from the inventory, the chart."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from console.errors import NotFound, ValidationFailed
from console.models import AlertGroup, Host, HostStatus
from console.alerts.enrich import Enricher
from console.alerts.ingest import ingest_files
from console.alerts.query import chart_series, flow_context, group_events, list_groups, parse_filter


@pytest.fixture
def stored(factory, suricata_eve):
    ingest_files(factory, [suricata_eve], "sensor-a", 500, 65536)


def _sids(session, **args):
    groups, _next = list_groups(session, parse_filter(args), limit=100)
    return sorted((g.sid, g.src_ip) for g in groups)


def test_filters_by_sid_signature_severity_ip_cidr_and_sensor(session, stored):
    assert _sids(session, sid="9905003") == [(9905003, "198.18.200.11")]
    assert _sids(session, q="dns LOOKUP") == [(9905002, "198.18.200.10"), (9905002, "198.18.200.11"),
                                              (9905002, "198.18.200.12")]
    assert {sid for sid, _ in _sids(session, severity="1")} == {9905001, 9905003}
    assert _sids(session, ip="198.18.200.44") == [(9905003, "198.18.200.11")]
    assert len(_sids(session, ip="198.18.200.0/24")) == 7
    assert _sids(session, ip="198.18.200.12/31") == [(9905001, "198.18.200.12"), (9905002, "198.18.200.12")]
    assert _sids(session, ip="198.18.21.0/24") == []
    assert len(_sids(session, sensor="sensor-a")) == 7 and _sids(session, sensor="elsewhere") == []
    assert _sids(session, status="closed") == [] and len(_sids(session, status="all")) == 7
    assert len(_sids(session, since="2026-01-01T00:00:30+00:00")) == 7
    assert _sids(session, until="2025-12-31T23:00:00+00:00") == []


def test_bad_filter_values_name_their_field(session):
    for args, field in (({"ip": "198.18.200.0/33"}, "ip"), ({"sid": "x"}, "sid"), ({"status": "open"}, "status"),
                        ({"since": "monday"}, "since"), ({"severity": "0"}, "severity")):
        with pytest.raises(ValidationFailed) as caught:
            parse_filter(args)
        assert caught.value.field == field


def test_keyset_pages_cover_every_group_once_newest_first(session, stored):
    seen, cursor = [], None
    while True:
        page, cursor = list_groups(session, parse_filter({"status": "all"}), after=cursor, limit=2)
        seen += page
        if cursor is None:
            break
    assert len(seen) == len({g.id for g in seen}) == 7
    assert [(g.last_seen, g.id) for g in seen] == sorted(((g.last_seen, g.id) for g in seen), reverse=True)


def test_host_filter_and_enrichment_name_inventory_servers(session, stored):
    session.add(Host(name="lab-web-01", address="198.18.200.80", unit="lab", roles=["web"], variables={},
                     status=HostStatus.active))
    session.flush()
    web = _sids(session, host="lab-web-01")
    assert web == [(9905001, "198.18.200.10"), (9905001, "198.18.200.11"), (9905001, "198.18.200.12")]
    with pytest.raises(NotFound):
        _sids(session, host="no-such-host")
    group = session.scalars(select(AlertGroup).where(AlertGroup.sid == 9905001)).first()
    sides = Enricher(session, ["198.18.200.0/28"]).group(group)
    assert sides["dest"] == {"ip": "198.18.200.80", "host": "lab-web-01", "internal": False}
    assert sides["src"]["internal"] is True and sides["src"]["host"] is None
    assert Enricher(session).is_internal("10.1.2.3") and not Enricher(session).is_internal("198.18.200.10")


def test_group_events_come_with_their_flow_context(session, stored):
    group = session.scalars(select(AlertGroup).where(AlertGroup.sid == 9905001)).first()
    events = group_events(session, group)
    assert len(events) == 2 and events[0].event_at > events[1].event_at
    context = flow_context(session, [e.flow_id for e in events])
    assert all({"http", "flow", "fileinfo"} <= {c.event_type for c in context[e.flow_id]} for e in events)


def test_chart_counts_alerts_per_hour_by_severity(session, stored):
    since = datetime(2026, 1, 1, tzinfo=timezone.utc)
    data = chart_series(session, since, datetime(2026, 1, 1, 3, tzinfo=timezone.utc))
    assert data["labels"][0] == "2026-01-01T00:00:00+00:00" and len(data["labels"]) == 3
    assert data["series"] == {"1": [8, 0, 0], "3": [6, 0, 0]}
