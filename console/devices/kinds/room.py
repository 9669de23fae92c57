"""The room kind: a server room's temperature and humidity, from the sensors departments own, over SNMP.

Sources, each a `{source = ..., index = N}` table for `temperature` and `humidity`:

- `apc_probe`: APC PowerNet-MIB environmental probes, iemStatusProbesTable
  (1.3.6.1.4.1.318.1.1.10.2.3.2.1): iemStatusProbeStatus (.3; disconnected 1, connected 2),
  iemStatusProbeCurrentTemp (.4) in iemStatusProbeTempUnits (.5; celsius 1, fahrenheit 2),
  iemStatusProbeCurrentHumid (.6, percent); N is iemStatusProbeNumber.
- `entity_sensor`: ENTITY-SENSOR-MIB (RFC 3433) entPhySensorTable (1.3.6.1.2.1.99.1.1.1):
  entPhySensorType (.1; celsius 8, percentRH 9), entPhySensorScale (.2; units 9, milli 8, ...: 10^(3 x (scale-9))),
  entPhySensorPrecision (.3), entPhySensorValue (.4), entPhySensorOperStatus (.5; ok 1); N is entPhysicalIndex.
- `ups_battery`: UPS-MIB (RFC 1628) upsBatteryTemperature.0 (1.3.6.1.2.1.33.1.2.7.0, degrees Centigrade).
- `oid`: any numeric OID whose integer value times `scale` is degrees Celsius (or percent).

The thresholds are the room's own keys (defaults below). The early warning is a rate of rise:
`rise_celsius` within `rise_minutes` (2 degrees in 10 minutes by default), what a stopped air conditioner
looks like before the threshold; it is measured against the room's stored readings, at the poll's time.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from console.devices.kinds import DeviceKind
from console.common.i18n import _l


APC_PROBE = "1.3.6.1.4.1.318.1.1.10.2.3.2.1"
ENTITY_SENSOR = "1.3.6.1.2.1.99.1.1.1"
UPS_BATTERY_TEMPERATURE = "1.3.6.1.2.1.33.1.2.7.0"
OID = re.compile(r"1\.3\.6\.1(\.(0|[1-9][0-9]{0,9})){1,40}")
CELSIUS, PERCENT_RH = 8, 9


class Sensor(BaseModel):
    """Where one measure is read."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Literal["apc_probe", "entity_sensor", "ups_battery", "oid"]
    index: int = Field(1, ge=1, le=2**31 - 1)  # the APC probe number or the entPhysicalIndex
    oid: str = ""  # source "oid": the object, numeric, under 1.3.6.1
    scale: float = Field(1.0, gt=0, le=1000)  # source "oid": the value times this

    @field_validator("oid")
    @classmethod
    def _numeric(cls, value: str) -> str:
        value = value.strip().lstrip(".")
        if value and not OID.fullmatch(value):
            raise ValueError(f"not a numeric OID under 1.3.6.1 (got {value[:80]!r})")
        return value

    @model_validator(mode="after")
    def _complete(self) -> "Sensor":
        if self.source == "oid" and not self.oid:
            raise ValueError("source \"oid\" needs oid = \"1.3.6.1...\"")
        return self


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["room"] = "room"
    temperature: Sensor
    humidity: Sensor | None = None
    temperature_min: float = Field(15.0, ge=-40, le=80)
    temperature_max: float = Field(27.0, ge=-40, le=80)  # ASHRAE's recommended range for IT rooms ends at 27
    humidity_min: float = Field(20.0, ge=0, le=100)
    humidity_max: float = Field(80.0, ge=0, le=100)
    rise_celsius: float = Field(2.0, gt=0, le=50)
    rise_minutes: int = Field(10, ge=1, le=240)

    @model_validator(mode="after")
    def _ranges(self) -> "Options":
        if self.temperature_min >= self.temperature_max:
            raise ValueError("temperature_min must be below temperature_max")
        if self.humidity_min >= self.humidity_max:
            raise ValueError("humidity_min must be below humidity_max")
        if self.humidity is not None and self.humidity.source == "ups_battery":
            raise ValueError("a UPS reports its battery's temperature, not humidity")
        return self


def sensor_oids(sensor: Sensor, measure: str) -> dict[str, str]:
    """The objects one GET asks for this sensor, named `<measure>.<object>`."""
    n = sensor.index
    if sensor.source == "apc_probe":
        objects = {"status": f"{APC_PROBE}.3.{n}", "units": f"{APC_PROBE}.5.{n}",
                   "value": f"{APC_PROBE}.{4 if measure == 'temperature' else 6}.{n}"}
    elif sensor.source == "entity_sensor":
        objects = {"type": f"{ENTITY_SENSOR}.1.{n}", "scale": f"{ENTITY_SENSOR}.2.{n}",
                   "precision": f"{ENTITY_SENSOR}.3.{n}", "value": f"{ENTITY_SENSOR}.4.{n}",
                   "status": f"{ENTITY_SENSOR}.5.{n}"}
    elif sensor.source == "ups_battery":
        objects = {"value": UPS_BATTERY_TEMPERATURE}
    else:
        objects = {"value": sensor.oid}
    return {f"{measure}.{name}": oid for name, oid in objects.items()}


def sensor_value(sensor: Sensor, measure: str, values: dict) -> tuple[float | None, str | None]:
    """(value in Celsius or percent, None) or (None, why not) from the GET's values. Pure."""
    get = {name.split(".", 1)[1]: value for name, value in values.items() if name.startswith(f"{measure}.")}
    raw = get.get("value")
    if not isinstance(raw, int):
        return None, f"{_where(sensor)} has no {measure} value"
    if sensor.source == "apc_probe":
        if get.get("status") == 1:
            return None, f"{_where(sensor)} is disconnected"
        if measure == "temperature" and get.get("units") == 2:
            return round((raw - 32) * 5 / 9, 1), None
        return float(raw), None
    if sensor.source == "entity_sensor":
        wanted = CELSIUS if measure == "temperature" else PERCENT_RH
        if get.get("type") != wanted:
            return None, f"{_where(sensor)} is of entPhySensorType {get.get('type')}, not {wanted}"
        if get.get("status") not in (None, 1):
            return None, f"{_where(sensor)} reports entPhySensorOperStatus {get.get('status')}"
        exponent = 3 * ((get.get("scale") or 9) - 9) - (get.get("precision") or 0)
        return round(raw * 10.0**exponent, 2), None
    if sensor.source == "oid":
        return round(raw * sensor.scale, 2), None
    return float(raw), None


def _where(sensor: Sensor) -> str:
    return {"apc_probe": f"APC probe {sensor.index}", "entity_sensor": f"entity sensor {sensor.index}",
            "ups_battery": "the UPS battery", "oid": f"OID {sensor.oid}"}[sensor.source]


def read(config) -> dict:
    from console.devices.connectors import ConnectorError, snmp

    options = config.options
    oids = sensor_oids(options.temperature, "temperature")
    if options.humidity:
        oids.update(sensor_oids(options.humidity, "humidity"))
    values = snmp.get_values(config, oids)
    temperature, why = sensor_value(options.temperature, "temperature", values)
    if temperature is None:
        raise ConnectorError(f"snmp {config.address}: {why}")
    fields = {"temperature_c": temperature, "temperature_source": _where(options.temperature)}
    if options.humidity:
        humidity, why = sensor_value(options.humidity, "humidity", values)
        fields.update({"humidity_percent": humidity, "humidity_source": _where(options.humidity)})
        if humidity is None:
            fields["humidity_reason"] = why
    return fields


def rise(history: list[tuple], current: float, now, minutes: int) -> float:
    """How far `current` is above the lowest temperature read in the last `minutes` (0 with no reading). Pure."""
    from datetime import timedelta

    since = now - timedelta(minutes=minutes)
    earlier = [fields.get("temperature_c") for when, fields in history if when >= since]
    earlier = [value for value in earlier if isinstance(value, (int, float))]
    return round(current - min(earlier), 2) if earlier else 0.0


def _state(value, low: float, high: float) -> str | None:
    if not isinstance(value, (int, float)):
        return None
    return "high" if value > high else "low" if value < low else "ok"


def derive(config, fields: dict, history: list, now) -> dict:
    options = config.options
    risen = rise(history, fields["temperature_c"], now, options.rise_minutes)
    return {**fields,
            "temperature_state": _state(fields["temperature_c"], options.temperature_min, options.temperature_max),
            "humidity_state": _state(fields.get("humidity_percent"), options.humidity_min, options.humidity_max),
            "rise_c": risen, "rise_minutes": options.rise_minutes, "rising": risen >= options.rise_celsius,
            "temperature_range": [options.temperature_min, options.temperature_max],
            "humidity_range": [options.humidity_min, options.humidity_max] if options.humidity else None}


def history_minutes(config) -> int:
    return config.options.rise_minutes


def announce(session, polled: list, context) -> list:
    from console.notify import events as notify_events

    events = []
    for reading in polled:
        if reading.status != "ok":
            continue
        config, fields, options = reading.config, reading.fields, reading.config.options
        params = {"device": config.name, "temperature": fields.get("temperature_c"),
                  "humidity": fields.get("humidity_percent"), "rise": fields.get("rise_c"),
                  "minutes": options.rise_minutes, "temperature_min": options.temperature_min,
                  "temperature_max": options.temperature_max, "humidity_min": options.humidity_min,
                  "humidity_max": options.humidity_max}
        base = {"key": f"device:{config.name}", **context.base(config)}
        temperature_out = fields.get("temperature_state") in ("high", "low")
        humidity_out = fields.get("humidity_state") in ("high", "low")
        if notify_events.changed(session, f"room.temperature:{config.name}", temperature_out) and temperature_out:
            events.append(_event("room.temperature_out_of_range", "critical", params, base))
        if notify_events.changed(session, f"room.humidity:{config.name}", humidity_out) and humidity_out:
            events.append(_event("room.humidity_out_of_range", "high", params, base))
        if notify_events.changed(session, f"room.out:{config.name}", temperature_out or humidity_out) and not (
                temperature_out or humidity_out):
            events.append(_event("room.in_range", "info", params, base))
        rising = bool(fields.get("rising"))
        if notify_events.changed(session, f"room.rising:{config.name}", rising) and rising:
            events.append(_event("room.temperature_rising", "high", params, base))
    return events


def _event(kind: str, severity: str, params: dict, base: dict):
    from console.notify import events as notify_events

    return notify_events.Event(kind, base["key"], severity, params, unit=base["unit"], link=base["link"])


def summary(item) -> str:
    fields = item.fields
    line = f"{fields.get('temperature_c')} C ({fields.get('temperature_state')})"
    if fields.get("humidity_percent") is not None:
        line += f" {fields.get('humidity_percent')}% RH ({fields.get('humidity_state')})"
    return line + (f" rising {fields.get('rise_c')} C in {fields.get('rise_minutes')} min" if fields.get("rising") else "")


def overview_item(item) -> dict:
    ok = item.status == "ok"
    fields = item.fields if ok else {}
    states = {fields.get("temperature_state"), fields.get("humidity_state")}
    state = ("unknown" if not ok else "out_of_range" if states & {"high", "low"}
             else "rising" if fields.get("rising") else "ok")
    return {"name": item.name, "state": state, "temperature_c": fields.get("temperature_c"),
            "humidity_percent": fields.get("humidity_percent"), "rising": bool(fields.get("rising")),
            "reason": item.reason, "collected_at": item.collected_at}


KIND = DeviceKind(name="room", label=_l("Server room"), connectors=("snmp",), options=Options, overview_key="rooms",
                  read=read, summary=summary, overview_item=overview_item, announce=announce, derive=derive,
                  history_minutes=history_minutes)
