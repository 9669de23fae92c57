"""Endpoint sync, matching, history, listing and coverage on both databases, against the KSC replay double."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from console.endpoints import coverage, service
from console.errors import ValidationFailed
from console.lab.ksc import datetime_value
from console.models import AuditEvent, ContextEvent, Endpoint, EndpointObservation, EndpointSync
from console.models.base import utcnow


@pytest.fixture
def inventory(session, settings):
    from console.access.actor import Actor
    from console.inventory.sync import sync_inventory

    sync_inventory(session, Actor.cli(), settings.inventory)
    session.flush()


def test_every_ksc_host_becomes_an_endpoint_with_its_unit_and_inventory_match(session, ksc_settings, inventory,
                                                                              admin_actor):
    result = service.sync(session, ksc_settings, admin_actor)
    session.commit()
    assert (result.status, result.host_count, result.added) == ("ok", 15, 15)
    rows = {row.name: row for row in session.scalars(select(Endpoint))}
    assert rows["dtnmt-web-01"].host_name == "dtnmt-web-01" and rows["dtnmt-web-01"].unit == "unit_it_centre"
    workstation = rows["ws-department-office-0001"]
    assert (workstation.address, workstation.unit, workstation.host_name) == ("198.18.20.100", "unit_department_office",
                                                                              None)
    assert session.scalar(select(func.count()).select_from(EndpointObservation)) == 15
    assert session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1)) == "endpoints.sync"


def test_an_endpoint_is_matched_by_address_when_the_names_differ(session, ksc_settings, ksc_replay, inventory,
                                                                 admin_actor):
    web = next(h for h in ksc_replay.estate.hosts if h["KLHST_WKS_DN"] == "dtnmt-web-01")
    web["KLHST_WKS_DN"], web["KLHST_WKS_FQDN"] = "WEB01-PORTAL", "web01-portal.stnmt.example.gov.vn"
    service.sync(session, ksc_settings, admin_actor)
    assert session.scalar(select(Endpoint.host_name).where(Endpoint.name == "WEB01-PORTAL")) == "dtnmt-web-01"


def test_history_grows_with_changes_not_with_syncs(session, ksc_settings, ksc_replay, admin_actor):
    service.sync(session, ksc_settings, admin_actor)
    service.sync(session, ksc_settings, admin_actor)
    assert session.scalar(select(func.count()).select_from(EndpointObservation)) == 15
    host = ksc_replay.estate.hosts[5]
    host["KLHST_WKS_RTP_STATE"] = 1
    result = service.sync(session, ksc_settings, admin_actor)
    assert result.changed >= 1
    row = session.scalar(select(Endpoint).where(Endpoint.ksc_id == host["KLHST_WKS_HOSTNAME"]))
    assert row.state == "protection_off"
    assert [item.state for item in service.history(session, row)][0] == "protection_off"


@pytest.mark.parametrize("breakage, message", [
    ("bad_shape", "field KLHST_WKS_STATUS_ID: expected an integer"),
    ("no_name", "field KLHST_WKS_DN (the host's name) is missing or empty"),
    ("same_name", "field KLHST_WKS_DN 'dtnmt-web-01' is also host"),
    ("huge", "larger than the limit"),
])
def test_a_bad_answer_keeps_the_previous_data_and_records_why(session, ksc_settings, ksc_replay, admin_actor,
                                                              breakage, message):
    service.sync(session, ksc_settings, admin_actor)
    session.commit()
    before = {row.ksc_id: (row.name, row.state, row.updated_at) for row in session.scalars(select(Endpoint))}
    hosts = ksc_replay.estate.hosts
    if breakage == "bad_shape":
        hosts[3]["KLHST_WKS_STATUS_ID"] = "OK"
    elif breakage == "no_name":
        hosts[3]["KLHST_WKS_DN"] = None
    elif breakage == "same_name":
        hosts[-1]["KLHST_WKS_DN"], hosts[-1]["KLHST_WKS_GROUPID"] = "dtnmt-web-01", 3
    else:
        ksc_replay.mode = "huge"
    result = service.sync(session, ksc_settings, admin_actor)
    session.commit()
    assert result.status == "failed" and message in result.reason
    assert {row.ksc_id: (row.name, row.state, row.updated_at) for row in session.scalars(select(Endpoint))} == before
    last = service.last_sync(session)
    assert (last.status, last.reason) == ("failed", result.reason)


def test_a_ksc_host_gone_is_kept_not_present(session, ksc_settings, ksc_replay, admin_actor):
    service.sync(session, ksc_settings, admin_actor)
    gone = ksc_replay.estate.hosts.pop()
    assert service.sync(session, ksc_settings, admin_actor).gone == 1
    assert session.scalar(select(Endpoint.present).where(Endpoint.ksc_id == gone["KLHST_WKS_HOSTNAME"])) is False


def test_sync_due_waits_for_the_interval(session, ksc_settings):
    assert service.sync_due(session, ksc_settings).status == "ok"
    assert service.sync_due(session, ksc_settings) is None
    later = utcnow() + timedelta(seconds=ksc_settings.endpoints.interval_seconds + 1)
    assert service.sync_due(session, ksc_settings, now=later).status == "ok"
    assert session.scalar(select(func.count()).select_from(EndpointSync)) == 2


def test_the_listing_filters_by_unit_state_and_product_and_pages(session, ksc_settings, ksc_replay, admin_actor):
    hosts = ksc_replay.estate.hosts
    hosts[4]["KLHST_WKS_RTP_STATE"] = 1
    hosts[6]["KLHST_WKS_RTP_AV_BASES_TIME"] = datetime_value(utcnow() - timedelta(days=9))
    service.sync(session, ksc_settings, admin_actor)
    off = service.list_endpoints(session, service.parse_filter({"state": "protection_off"}))
    assert hosts[4]["KLHST_WKS_DN"] in [row.name for row in off]
    office = service.list_endpoints(session, service.parse_filter({"unit": "unit_department_office"}))
    assert office and all(row.unit == "unit_department_office" for row in office)
    version = hosts[6]["KLHST_WKS_RTP_AV_VERSION"]
    assert all(row.av_version == version for row in
               service.list_endpoints(session, service.parse_filter({"product": version})))
    first = service.list_endpoints(session, service.parse_filter({"limit": "4"}))
    second = service.list_endpoints(session, service.parse_filter({"limit": "4", "after": service.cursor(first[-1])}))
    assert len(first) == 4 and not {r.id for r in first} & {r.id for r in second}
    with pytest.raises(ValidationFailed, match="state: must be one of"):
        service.parse_filter({"state": "melted"})


def _context(session, event_type: str, src: str, dest: str, minutes_ago: int, record: dict | None = None):
    session.add(ContextEvent(event_at=utcnow() - timedelta(minutes=minutes_ago), sensor="ids-01",
                             event_type=event_type, flow_id=None, src_ip=src, dest_ip=dest,
                             record=json.dumps(record or {"event_type": event_type})))


def test_coverage_puts_inventory_ksc_and_the_ids_side_by_side(session, ksc_settings, ksc_replay, inventory,
                                                               admin_actor):
    hosts = ksc_replay.estate.hosts
    hosts[4]["KLHST_WKS_RTP_STATE"] = 1
    service.sync(session, ksc_settings, admin_actor)
    _context(session, "flow", "198.18.20.230", "198.18.10.11", 50)   # unknown client -> a known server
    _context(session, "flow", "198.18.20.230", "8.8.8.8", 5)         # again, and an outside address
    _context(session, "flow", "198.18.20.100", "198.18.10.41", 5)    # a KSC workstation -> a server
    _context(session, "dhcp", "0.0.0.0", "255.255.255.255", 3, {"dhcp": {"assigned_ip": "198.18.31.233"}})
    _context(session, "http", "198.18.40.99", "198.18.10.11", 3)     # not flow or dhcp: not read
    session.flush()
    assert coverage.refresh_seen(session, ksc_settings) == 4
    assert coverage.refresh_seen(session, ksc_settings) == 0  # goes on from where it stopped
    figure = coverage.coverage(session, ksc_settings)
    unmanaged = {item["address"]: item for item in figure["missing"]["unmanaged"]}
    assert set(unmanaged) == {"198.18.20.230", "198.18.31.233"}
    first, last = unmanaged["198.18.20.230"]["first_seen_at"], unmanaged["198.18.20.230"]["last_seen_at"]
    assert first < last
    missing_servers = {item["name"] for item in figure["missing"]["servers_without_ksc"]}
    assert {"dtnmt-bak-01", "dtnmt-mon-01"} <= missing_servers and "dtnmt-web-01" not in missing_servers
    assert hosts[4]["KLHST_WKS_DN"] in [item["name"] for item in figure["missing"]["protection_off"]]
    assert figure["exist"] == 15 + figure["servers_without_ksc"] + 2
    assert figure["percent"] == round(100 * figure["protected"] / figure["exist"], 1)
    assert figure["protected"] < 15


@pytest.mark.parametrize("address, counted", [
    ("198.19.0.240", True), ("10.1.2.3", True),                      # a device on an internal network
    ("fe80::704b:fdff:fe7b:68df", False), ("ff02::1", False),        # a link's own IPv6 (neighbour discovery)
    ("0.0.0.0", False), ("255.255.255.255", False),                  # DHCP's request before it has an address
    ("224.0.0.251", False), ("8.8.8.8", False),                      # multicast; outside
])
def test_only_addresses_that_are_devices_count_as_unmanaged(address, counted):
    from console.endpoints.coverage import is_internal

    assert is_internal(address, ()) is counted
