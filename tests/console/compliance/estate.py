"""A small estate for the information-system tests: two units, two systems (one per framework), three hosts.

`build(tmp_path, session_factory)` writes the inventory, syncs it and returns
its folder; `catalog(tmp_path)` is a catalog of two firewall controls with
the ids the requirement files link (FW-02 inbound, FW-03 forwarded), so a
test decides each verdict with the policies it reports.
"""

from __future__ import annotations

from pathlib import Path

from console.compliance.catalog import load_catalog
from console.db import session_scope
from console.access.actor import Actor
from console.inventory.sync import sync_inventory
from console.settings import InventorySettings
from tests.console.compliance.helpers import enrol, ingest, report

HOSTS = """all:
  children:
    units:
      children:
        unit_land:
          hosts:
            land-app-01: {ansible_host: 198.18.50.1}
            land-db-01: {ansible_host: 198.18.50.2}
        unit_office:
          hosts:
            office-dms-01: {ansible_host: 198.18.51.1}
    systems:
      children:
        system_procedures:
          hosts:
            land-app-01:
            land-db-01:
        system_documents:
          hosts:
            office-dms-01:
"""
PROCEDURES = """# Land procedures (test)
ops_system:
  name_vi: Hệ thống thủ tục hành chính đất đai
  name_en: Land administrative procedures
  owner_unit: unit_land
  level: 3
  framework: current-331
  approved_on: 2026-09-01
"""
DOCUMENTS = """ops_system:
  name_vi: Quản lý văn bản
  name_en: Document management
  owner_unit: unit_office
  level: 2
  framework: legacy-85
  approved_on: 2023-01-10
"""
CONTROLS = """controls:
""" + "".join(f"""  - id: {cid}
    title: {{vi: Chặn mặc định {field}, en: Default deny {field}}}
    rationale: {{vi: Chặn, en: Deny}}
    category: firewall
    severity: high
    applies_to: {{all_hosts: true}}
    evidence: {{source: agent_report, max_age: 30m}}
    condition: {{field: firewall.{field}, op: eq, value: drop}}
""" for cid, field in (("FW-02", "input_policy"), ("FW-03", "forward_policy")))


def write(tmp_path: Path) -> Path:
    """The inventory files alone (for a console whose [inventory] path is this folder)."""
    folder = tmp_path / "estate"
    (folder / "group_vars").mkdir(parents=True, exist_ok=True)
    (folder / "hosts.yml").write_text(HOSTS, encoding="utf-8")
    (folder / "group_vars" / "system_procedures.yml").write_text(PROCEDURES, encoding="utf-8")
    (folder / "group_vars" / "system_documents.yml").write_text(DOCUMENTS, encoding="utf-8")
    return folder


def build(tmp_path: Path, session_factory) -> Path:
    folder = write(tmp_path)
    with session_scope(session_factory) as session:
        sync_inventory(session, Actor.cli(), InventorySettings(path=folder))
    return folder


def catalog(tmp_path: Path):
    folder = tmp_path / "controls"
    folder.mkdir(exist_ok=True)
    (folder / "firewall.yaml").write_text(CONTROLS, encoding="utf-8")
    return load_catalog(folder)


def firewall(session_factory, host: str, inbound: str, forward: str) -> None:
    """An agent for `host` reporting these firewall policies now."""
    ingest(session_factory, enrol(session_factory, host), report(host, firewall={
        "backend": "nftables", "input_policy": inbound, "forward_policy": forward, "rule_count": 2, "open_ports": []}))
