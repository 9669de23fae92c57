"""Device storage and polling on both databases: sync, poll_all, poll_due, latest_states, purge."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import select

from console.devices.config import DeviceConfig
from console.errors import ValidationFailed
from console.models import AuditEvent, DeviceState
from console.models.base import utcnow
from console.devices import service as devices
from console.devices.service import DeviceEvidence
from tests.fixtures.nut import free_port
from tests.fixtures.sophos_api import PASSWORD, USERNAME


@pytest.fixture(autouse=True)
def password(monkeypatch):
    monkeypatch.setenv("TEST_XG_PASSWORD", PASSWORD)


def ups(port: int, name: str = "ups-a", **extra) -> DeviceConfig:
    return DeviceConfig(name=name, kind="ups", connector="nut", address="127.0.0.1", port=port, ups="testups",
                        hosts=["dtnmt-web-01", "dtnmt-db-01"], **{"timeout_seconds": 2, **extra})


def firewall(replay) -> DeviceConfig:
    return DeviceConfig(name="xg210", kind="firewall", connector="sophos", address="127.0.0.1", port=replay.port,
                        username=USERNAME, password="env:TEST_XG_PASSWORD", pin_sha256=replay.pin,
                        hosts=["dtnmt-web-01"], timeout_seconds=2)


def test_one_dead_device_and_one_hanging_firewall_do_not_stop_the_ups(session, upsd, sophos_api):
    _file, port, _server = upsd
    sophos_api.mode = "hang"
    configs = [ups(port), ups(free_port(), name="ups-dead"), firewall(sophos_api)]
    results = devices.poll_all(session, configs)
    session.commit()
    assert [(r.name, r.status) for r in results] == [("ups-a", "ok"), ("ups-dead", "unknown"), ("xg210", "unknown")]
    assert "no complete answer within 2 s" in results[2].reason
    by_name = {item.name: item for item in devices.latest_states(session)}
    assert by_name["ups-a"].fields["status_flags"] == ["OL"]
    assert by_name["ups-dead"].reason.startswith("upsd 127.0.0.1:")


def test_latest_states_is_the_interface_compliance_reads(session, upsd, sophos_api):
    _file, port, _server = upsd
    devices.poll_all(session, [ups(port), firewall(sophos_api)])
    devices.poll_all(session, [ups(port), firewall(sophos_api)])
    session.commit()
    states = devices.latest_states(session)
    assert [type(item) for item in states] == [DeviceEvidence, DeviceEvidence]
    ups_state, fw_state = states
    assert (ups_state.name, ups_state.kind, ups_state.connector, ups_state.status) == ("ups-a", "ups", "nut", "ok")
    assert ups_state.host_names == ("dtnmt-web-01", "dtnmt-db-01")
    assert {"status_flags", "battery_charge_percent", "battery_runtime_seconds", "load_percent", "input_voltage",
            "test_result"} <= set(ups_state.fields)
    assert ups_state.collected_at.tzinfo is not None
    assert fw_state.fields["admin_services"]["WAN"] == []
    assert fw_state.fields["firewall_rules"][1]["ips_policy"] == "lantowan_general"
    with pytest.raises(dataclasses.FrozenInstanceError):
        ups_state.status = "ok"
    assert len(session.scalars(select(DeviceState)).all()) == 4


def test_a_configured_device_never_polled_is_unknown(session, admin_actor):
    devices.sync_devices(session, admin_actor, [ups(3493)])
    (state,) = devices.latest_states(session)
    assert (state.status, state.reason, state.collected_at, state.fields) == ("unknown", "never polled", None, {})


def test_poll_due_polls_only_devices_whose_interval_elapsed(session, upsd):
    _file, port, _server = upsd
    configs = [ups(port, interval_seconds=60), ups(port, name="ups-b", interval_seconds=3600)]
    assert [r.name for r in devices.poll_due(session, configs, utcnow())] == ["ups-a", "ups-b"]
    assert devices.poll_due(session, configs, utcnow()) == []
    later = utcnow() + timedelta(seconds=61)
    assert [r.name for r in devices.poll_due(session, configs, later)] == ["ups-a"]


def test_sync_is_audit_logged_and_a_removed_device_is_kept_not_present(session, admin_actor):
    devices.sync_devices(session, admin_actor, [ups(3493), ups(3494, name="ups-b")])
    result = devices.sync_devices(session, admin_actor, [ups(3493)])
    assert (result.removed, result.unchanged) == (["ups-b"], ["ups-a"])
    assert [s.name for s in devices.latest_states(session)] == ["ups-a"]
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "devices.sync")).all()
    assert [e.detail["removed"] for e in events] == [[], ["ups-b"]]
    assert devices.get_device(session, "ups-b").present is False


def test_sync_refuses_a_host_that_is_not_in_the_inventory(session, admin_actor, synced):
    with pytest.raises(ValidationFailed, match="dtnmt-typo-01"):
        devices.sync_devices(session, admin_actor, [ups(3493).model_copy(update={"hosts": ["dtnmt-typo-01"]})])


def test_auditor_may_not_sync_devices(session, auditor_actor):
    with pytest.raises(Exception, match="may not devices.poll"):
        devices.sync_devices(session, auditor_actor, [ups(3493)])


def test_purge_keeps_the_newest_state_of_every_device(session):
    devices.poll_all(session, [ups(free_port(), timeout_seconds=0.5)])
    devices.poll_all(session, [ups(free_port(), timeout_seconds=0.5)])
    session.flush()
    removed = devices.purge_states(session, 1, now=utcnow() + timedelta(days=30))
    assert removed == 1
    assert len(session.scalars(select(DeviceState)).all()) == 1
