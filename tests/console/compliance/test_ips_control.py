"""IDS-07: a sensor the inventory puts in IPS mode (ops_ids_mode: ips) must block, as its agent reports it.

The reports' `sensor` sections are what probes/collectors/sensor.py reads from Suricata's command socket
(tests/console/lab/test_inline_ips.py and tests/probes/test_sensor_suricata.py read them from a real inline
and a real watching Suricata).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from console.compliance.catalog import load_catalog
from console.compliance.engine import applies, evaluate
from console.compliance.evidence import Evidence, Target
from console.errors import OpsError
from console.models.base import utcnow

INLINE = {"engine": "suricata", "running": True, "capture_mode": "AF_PACKET_DEV", "blocking": True}


def _ids07():
    return load_catalog().by_id()["IDS-07"]


def _host(mode: str | None) -> Target:
    return Target(name="dtnmt-ids-01", kind="host", groups=frozenset({"role_ids_sensor"}), host_id=1,
                  variables={} if mode is None else {"ops_ids_mode": mode})


@pytest.mark.parametrize("sensor, result", [
    (INLINE, "pass"),
    ({**INLINE, "capture_mode": "NFQ"}, "pass"),
    ({**INLINE, "blocking": False}, "fail"),  # af-packet without copy-mode ips: a mirror port
    ({**INLINE, "running": False, "blocking": None}, "fail"),
    ({**INLINE, "blocking": None}, "unknown"),  # a Suricata whose socket could not tell
])
def test_an_ips_sensor_passes_only_while_suricata_runs_inline(sensor, result):
    now = utcnow()
    judged = evaluate(_ids07(), _host("ips"), Evidence({"sensor": sensor}, now - timedelta(minutes=1)), now)
    assert judged["result"] == result


def test_only_the_sensors_the_inventory_puts_in_ips_mode_are_judged():
    control = _ids07()
    assert applies(control, _host("ips"))
    assert not applies(control, _host("ids")) and not applies(control, _host(None))


def test_equals_without_a_variable_is_refused(tmp_path):
    (tmp_path / "c.yaml").write_text(
        "controls:\n  - id: TST-01\n    title: {vi: a, en: a}\n    rationale: {vi: a, en: a}\n"
        "    category: ids\n    severity: low\n    applies_to: {groups: [x], equals: ips}\n"
        "    evidence: {source: agent_report, max_age: 30m}\n"
        "    condition: {field: sensor.running, op: eq, value: true}\n")
    with pytest.raises(OpsError, match="equals needs the variable"):
        load_catalog(tmp_path)
