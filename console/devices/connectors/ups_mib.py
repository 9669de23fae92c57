"""UPS-MIB (RFC 1628) values mapped onto the agent's UPS fields and NUT status tokens.

Pure: takes {object name: value or None} as read by the SNMP connector,
returns the fields of probes.report.Ups. Status flags use NUT's tokens so one
compliance condition fits both connectors: upsOutputSource normal(3) -> OL,
battery(5) -> OB, bypass(4) -> OL BYPASS, booster(6) -> OL BOOST,
reducer(7) -> OL TRIM, none(2) -> OFF; upsBatteryStatus batteryLow(3) or
batteryDepleted(4) adds LB. The self-test summary uses the words NUT's
drivers report in ups.test.result.
"""

from __future__ import annotations

from datetime import datetime, timedelta

UPS = "1.3.6.1.2.1.33.1"
OIDS = {
    "sysUpTime": "1.3.6.1.2.1.1.3.0",
    "upsIdentManufacturer": f"{UPS}.1.1.0",
    "upsIdentModel": f"{UPS}.1.2.0",
    "upsIdentName": f"{UPS}.1.5.0",
    "upsBatteryStatus": f"{UPS}.2.1.0",
    "upsEstimatedMinutesRemaining": f"{UPS}.2.3.0",
    "upsEstimatedChargeRemaining": f"{UPS}.2.4.0",
    "upsInputVoltage": f"{UPS}.3.3.1.3.1",  # the first input line
    "upsOutputSource": f"{UPS}.4.1.0",
    "upsOutputPercentLoad": f"{UPS}.4.4.1.5.1",  # the first output line
    "upsTestResultsSummary": f"{UPS}.7.3.0",
    "upsTestStartTime": f"{UPS}.7.5.0",
}
OUTPUT_SOURCE = {1: [], 2: ["OFF"], 3: ["OL"], 4: ["OL", "BYPASS"], 5: ["OB"], 6: ["OL", "BOOST"], 7: ["OL", "TRIM"]}
BATTERY_STATUS = {1: "unknown", 2: "batteryNormal", 3: "batteryLow", 4: "batteryDepleted"}
TEST_RESULT = {1: "Done and passed", 2: "Done and warning", 3: "Done and error", 4: "Aborted",
               5: "In progress", 6: "No test initiated"}


def ups_fields(values: dict, now: datetime) -> dict:
    """Fields of probes.report.Ups (+ model, manufacturer, test_date) from UPS-MIB values."""
    source, battery = _int(values, "upsOutputSource"), _int(values, "upsBatteryStatus")
    flags = list(OUTPUT_SOURCE.get(source, []))
    if battery in (3, 4):
        flags.append("LB")
    minutes = _int(values, "upsEstimatedMinutesRemaining")
    summary = _int(values, "upsTestResultsSummary")
    fields = {
        "status_flags": flags,
        "battery_charge_percent": _percent(_int(values, "upsEstimatedChargeRemaining")),
        "battery_runtime_seconds": float(minutes * 60) if minutes is not None and minutes >= 0 else None,
        "load_percent": _float(_int(values, "upsOutputPercentLoad")),
        "input_voltage": _float(_int(values, "upsInputVoltage")),
        "test_result": TEST_RESULT.get(summary),
        "battery_status": BATTERY_STATUS.get(battery),
        "manufacturer": _text(values, "upsIdentManufacturer"),
        "model": _text(values, "upsIdentModel"),
    }
    test_date = _test_date(values, now, summary)
    if test_date:
        fields["test_date"] = test_date
    return fields


def _test_date(values: dict, now: datetime, summary: int | None) -> str | None:
    """upsTestStartTime is sysUpTime (1/100 s) when the test began; 0 means no test since the agent started."""
    started, uptime = _int(values, "upsTestStartTime"), _int(values, "sysUpTime")
    if summary in (None, 6) or not started or uptime is None or started > uptime:
        return None
    return (now - timedelta(seconds=(uptime - started) / 100)).isoformat(timespec="seconds")


def _int(values: dict, name: str) -> int | None:
    value = values.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: int | None) -> float | None:
    return float(value) if value is not None else None


def _percent(value: int | None) -> float | None:
    return float(value) if value is not None and 0 <= value <= 100 else None


def _text(values: dict, name: str) -> str | None:
    value = values.get(name)
    return value.strip()[:100] or None if isinstance(value, str) else None
