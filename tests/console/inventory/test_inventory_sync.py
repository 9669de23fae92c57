"""Syncing the inventory into the asset list: added, updated, retired, revived; nothing on error."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from console.errors import InventoryError, ValidationFailed
from console.models import AuditEvent, Host, HostStatus
from console.inventory.sync import REDACTED, sync_inventory
from console.inventory.hosts import get_host, list_hosts, unit_counts
from console.access.permissions import Denied
from console.settings import InventorySettings

SHIPPED = Path(__file__).resolve().parents[3] / "inventory"

TWO_HOSTS = """all:
  children:
    units:
      children:
        unit_a:
          hosts:
            srv1: {ansible_host: 198.18.0.1}
            srv2: {ansible_host: 198.18.0.2}
    roles:
      children:
        role_web:
          hosts:
            srv1:
"""


def inventory_at(tmp_path, text: str) -> InventorySettings:
    folder = tmp_path / "inv"
    folder.mkdir(exist_ok=True)
    (folder / "hosts.yml").write_text(text)
    return InventorySettings(path=folder)


def test_shipped_inventory_syncs_27_hosts_with_units_and_roles(session, admin_actor):
    result = sync_inventory(session, admin_actor, InventorySettings(path=SHIPPED))
    session.commit()
    assert len(result.added) == 27 and not result.updated
    web = get_host(session, "dtnmt-web-01")
    assert web.unit == "unit_it_centre" and "role_web_portal" in web.roles
    assert web.variables["ops_required_services"] == ["nginx"]
    assert dict(unit_counts(session))["unit_it_centre"] == 12
    again = sync_inventory(session, admin_actor, InventorySettings(path=SHIPPED))
    assert len(again.unchanged) == 27 and not (again.added or again.updated or again.retired)


def test_changes_update_removed_hosts_retire_and_come_back(session, admin_actor, tmp_path):
    settings = inventory_at(tmp_path, TWO_HOSTS)
    sync_inventory(session, admin_actor, settings)
    session.commit()
    changed = (TWO_HOSTS.replace("198.18.0.1", "198.18.0.11")
               .replace("            srv2: {ansible_host: 198.18.0.2}\n", ""))
    settings = inventory_at(tmp_path, changed)
    result = sync_inventory(session, admin_actor, settings)
    session.commit()
    assert (result.updated, result.retired) == (["srv1"], ["srv2"])
    srv2 = get_host(session, "srv2")
    assert srv2.status == HostStatus.retired and srv2.retired_at is not None
    assert get_host(session, "srv1").address == "198.18.0.11"
    assert [h.name for h in list_hosts(session, status="active")] == ["srv1"]
    result = sync_inventory(session, admin_actor, inventory_at(tmp_path, TWO_HOSTS))
    session.commit()
    assert result.revived == ["srv2"]
    assert get_host(session, "srv2").status == HostStatus.active and get_host(session, "srv2").retired_at is None


def test_broken_inventory_changes_nothing(session, admin_actor, tmp_path):
    sync_inventory(session, admin_actor, inventory_at(tmp_path, TWO_HOSTS))
    session.commit()
    broken = TWO_HOSTS + "        role_db:\n          hosts:\n            srv3: {ansible_host: [1]}\n"
    with pytest.raises(InventoryError):
        sync_inventory(session, admin_actor, inventory_at(tmp_path, broken))
    session.rollback()
    assert session.scalar(select(func.count(Host.id))) == 2
    assert session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "inventory.sync")) == 1


def test_auditor_may_not_sync(session, admin_actor, auditor_actor, tmp_path):
    sync_inventory(session, admin_actor, inventory_at(tmp_path, TWO_HOSTS))
    session.commit()
    with pytest.raises(Denied):
        sync_inventory(session, auditor_actor, InventorySettings(path=SHIPPED))
    session.commit()
    assert sorted(session.scalars(select(Host.name))) == ["srv1", "srv2"]
    assert session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "inventory.sync")) == 1


def test_sync_is_audited_with_counts_and_names(session, admin_actor, tmp_path):
    sync_inventory(session, admin_actor, inventory_at(tmp_path, TWO_HOSTS))
    session.commit()
    sync_inventory(session, admin_actor, inventory_at(tmp_path, TWO_HOSTS.replace("198.18.0.2", "198.18.0.22")))
    session.commit()
    events = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "inventory.sync")
                                  .order_by(AuditEvent.id)))
    assert [e.actor for e in events] == ["alice", "alice"] and events[0].detail["added"] == ["srv1", "srv2"]
    assert events[1].detail["updated"] == ["srv2"]
    assert events[1].detail["counts"] == {"added": 0, "updated": 1, "retired": 0, "revived": 0,
                                          "unchanged": 1, "groups": 6}


def test_sync_only_flushes_the_caller_decides(session, admin_actor, tmp_path):
    sync_inventory(session, admin_actor, inventory_at(tmp_path, TWO_HOSTS))
    session.rollback()
    assert session.scalar(select(func.count(Host.id))) == 0
    assert session.scalar(select(func.count(AuditEvent.id))) == 0


def test_inventory_without_hosts_retires_nothing(session, admin_actor, tmp_path):
    sync_inventory(session, admin_actor, inventory_at(tmp_path, TWO_HOSTS))
    session.commit()
    with pytest.raises(InventoryError, match="no host"):
        sync_inventory(session, admin_actor, inventory_at(tmp_path, "all:\n"))
    session.rollback()
    assert set(session.scalars(select(Host.status))) == {HostStatus.active}


def test_dates_are_stored_and_secrets_are_not(session, admin_actor, tmp_path):
    text = TWO_HOSTS.replace("srv1: {ansible_host: 198.18.0.1}",
                             "srv1: {ansible_host: 198.18.0.1, installed: 2024-05-01, "
                             "ansible_become_password: hunter2}")
    sync_inventory(session, admin_actor, inventory_at(tmp_path, text))
    session.commit()
    session.expire_all()
    variables = get_host(session, "srv1").variables
    assert variables["installed"] == "2024-05-01" and variables["ansible_become_password"] == REDACTED
    assert "hunter2" not in str(session.scalars(select(AuditEvent.detail)).all())


def test_host_list_refuses_an_unknown_status_and_searches_literally(session, admin_actor, tmp_path):
    sync_inventory(session, admin_actor, inventory_at(tmp_path, TWO_HOSTS))
    session.commit()
    with pytest.raises(ValidationFailed):
        list_hosts(session, status="bogus")
    assert list_hosts(session, search="%") == []
    assert [h.name for h in list_hosts(session, search="0.2")] == ["srv2"]


def test_host_list_filters_and_pages_by_name(session, admin_actor):
    sync_inventory(session, admin_actor, InventorySettings(path=SHIPPED))
    session.commit()
    first = list_hosts(session, limit=10)
    second = list_hosts(session, after_name=first[-1].name, limit=10)
    assert len(first) == 10 and first[-1].name < second[0].name
    assert {h.name for h in list_hosts(session, role="role_land_database")} == {
        "dtnmt-dkdd-ldb-01", "dtnmt-dkdd-ldb-02", "dtnmt-cn1-ldb-01", "dtnmt-cn2-ldb-01"}
    assert [h.name for h in list_hosts(session, search="198.18.40.21")] == ["dtnmt-qt-gw-01"]
