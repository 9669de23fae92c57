"""Information systems in the inventory: the shipped ones, the sync, and every bad input refused with file and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from console.compliance.requirements import covered_levels
from console.db import session_scope
from console.errors import InventoryError
from console.models import Host, InformationSystem
from console.access.actor import Actor
from console.inventory.reader import read_inventory
from console.inventory.sync import sync_inventory
from console.systems.service import list_systems
from console.systems.reader import read_systems
from console.settings import InventorySettings

SHIPPED = Path(__file__).resolve().parents[3] / "inventory"


def systems_of(folder: Path):
    return read_systems(read_inventory(folder), folder, covered_levels())


@pytest.fixture
def inventory(tmp_path) -> Path:
    folder = tmp_path / "inventory"
    shutil.copytree(SHIPPED, folder)
    return folder


def edit(folder: Path, name: str, old: str, new: str) -> Path:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_the_shipped_inventory_defines_the_departments_systems_with_their_levels():
    systems = {s.key: s for s in systems_of(SHIPPED)}
    land = systems["system_land_procedures"]
    assert land.name_vi == "Hệ thống thủ tục hành chính đất đai và môi trường" and land.level == 3
    assert {"dtnmt-osm-01", "dtnmt-dkdd-app-01", "dtnmt-dkdd-ldb-01"} <= set(land.hosts)
    assert systems["system_document_management"].level == 2
    assert systems["system_internal_network"].level == 3
    assert {s.framework for s in systems.values()} == {"legacy-85", "current-331"}
    every_host = {h for s in systems.values() for h in s.hosts}
    assert len(every_host) == 27 and str(land.approved_on) == "2026-09-15"


@pytest.mark.parametrize("old, new, message, field", [
    ("level: 3", "level: 6", "ops_system.level: unknown level 6 (levels are 1 to 5)", "level:"),
    ("level: 3", "level: 4", "level 4 is not covered by the current-331 requirement file", "level:"),
    ("framework: current-331", "framework: current-2026", "ops_system.framework: unknown framework 'current-2026'",
     "framework:"),
    ("owner_unit: unit_land_registration", "owner_unit: unit_nowhere", "ops_system.owner_unit: 'unit_nowhere' is not",
     "owner_unit:"),
    ("approved_on: 2026-09-15", "approved_on: soon", "ops_system.approved_on: 'soon' is not a date", "approved_on:"),
    ("  level: 3\n", "", "ops_system.level: missing", "ops_system:"),
])
def test_a_bad_system_is_refused_naming_its_file_line_and_field(inventory, old, new, message, field):
    path = edit(inventory, "group_vars/system_land_procedures.yml", old, new)
    with pytest.raises(InventoryError) as raised:
        systems_of(inventory)
    assert raised.value.path == path and message in str(raised.value)
    assert raised.value.line == line_of(path, field)


def test_a_host_in_two_systems_with_different_owners_is_refused(inventory):
    edit(inventory, "hosts.yml", "        system_document_management:\n          hosts:\n",
         "        system_document_management:\n          hosts:\n            dtnmt-osm-01:\n")
    with pytest.raises(InventoryError, match="host 'dtnmt-osm-01' is in systems 'system_document_management' "
                                             r"\(owner unit_department_office\) and 'system_land_procedures'") as raised:
        systems_of(inventory)
    path = inventory / "group_vars/system_land_procedures.yml"
    assert raised.value.path == path and raised.value.line == line_of(path, "owner_unit:")


def test_a_host_in_two_systems_of_one_owner_is_accepted(inventory):
    edit(inventory, "group_vars/system_document_management.yml", "owner_unit: unit_department_office",
         "owner_unit: unit_land_registration")
    edit(inventory, "hosts.yml", "        system_document_management:\n          hosts:\n",
         "        system_document_management:\n          hosts:\n            dtnmt-osm-01:\n")
    systems = {s.key: s for s in systems_of(inventory)}
    assert "dtnmt-osm-01" in systems["system_document_management"].hosts
    assert "dtnmt-osm-01" in systems["system_land_procedures"].hosts


def test_a_host_in_no_system_is_refused_with_the_line_that_lists_it(inventory):
    hosts = edit(inventory, "hosts.yml", "            dtnmt-qt-db-01:\n            dtnmt-qt-web-01:\n    # The host",
                 "            dtnmt-qt-db-01:\n    # The host")
    with pytest.raises(InventoryError, match="host 'dtnmt-qt-web-01' is in no information system") as raised:
        systems_of(inventory)
    assert raised.value.path == hosts and raised.value.line == line_of(hosts, "dtnmt-qt-web-01:")


def test_sync_stores_the_systems_and_a_broken_system_changes_nothing(session, inventory):
    settings = InventorySettings(path=inventory)
    first = sync_inventory(session, Actor.cli(), settings)
    session.commit()
    assert first.systems["added"] == sorted(first.systems["added"]) and len(first.systems["added"]) == 4
    edit(inventory, "group_vars/system_land_procedures.yml", "level: 3", "level: 2")
    edit(inventory, "group_vars/system_env_monitoring.yml", "framework: current-331", "framework: iso")
    (inventory / "hosts.yml").write_text((inventory / "hosts.yml").read_text().replace(
        "dtnmt-web-01: {ansible_host: 198.18.10.11}", "dtnmt-web-01: {ansible_host: 198.18.10.99}"))
    with pytest.raises(InventoryError, match="system_env_monitoring.yml:.*unknown framework 'iso'"):
        sync_inventory(session, Actor.cli(), settings)
    session.rollback()
    land = session.query(InformationSystem).filter_by(key="system_land_procedures").one()
    assert land.level == 3 and session.query(Host).filter_by(name="dtnmt-web-01").one().address == "198.18.10.11"
    edit(inventory, "group_vars/system_env_monitoring.yml", "framework: iso", "framework: current-331")
    again = sync_inventory(session, Actor.cli(), settings)
    assert again.systems["updated"] == ["system_land_procedures"]
    assert [(s.key, s.level) for s in list_systems(session)][:2] == [("system_internal_network", 3),
                                                                    ("system_document_management", 2)]


def test_ops_compliance_systems_lists_levels_frameworks_and_json(config_file, session_factory):
    from tests.console.compliance.helpers import ops

    with session_scope(session_factory) as db:
        sync_inventory(db, Actor.cli(), InventorySettings(path=SHIPPED))
    table = ops(config_file, "compliance", "systems")
    assert table.exit_code == 0, table.output
    assert "system_land_procedures" in table.stdout and "current-331" in table.stdout
    assert "Hệ thống thủ tục hành chính đất đai và môi trường" in table.stdout
    import json

    listed = json.loads(ops(config_file, "compliance", "systems", "--json").stdout)
    land = next(s for s in listed if s["key"] == "system_land_procedures")
    assert land["level"] == 3 and len(land["hosts"]) == 14 and land["percent_met"] is None


def test_a_lab_synced_with_the_estate_is_a_system_of_its_own(tmp_path):
    """`ops lab sync-inventory` (make demo, the playbook tests) merges lab hosts into the estate: none may be left out."""
    from console.lab import inventory as lab_inventory
    from console.lab.state import LabHost, LabState

    state = LabState(name="t", directory=str(tmp_path / "lab"), subnet_index=7, bridge="olbr",
                     hosts=[LabHost(f"lab-host-0{n}", f"198.19.7.1{n}", f"ns{n}", f"v{n}", str(tmp_path / f"h{n}"),
                                    str(tmp_path / f"s{n}")) for n in (1, 2)])
    lab_inventory.write(state, SHIPPED)
    merged = lab_inventory.merged_with_estate(state, SHIPPED, tmp_path / "merged")
    systems = {s.key: s for s in systems_of(merged)}
    assert systems["system_lab"].hosts == ["lab-host-01", "lab-host-02"] and systems["system_lab"].level == 3
    assert len(systems["system_land_procedures"].hosts) == 14
    assert {s.key for s in systems_of(state.inventory_dir)} == {"system_lab"}
