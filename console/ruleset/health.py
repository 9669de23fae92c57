"""The health of the IPS sensors: an inline Suricata that stops is not a detection gap but an outage or a hole.

An IPS sensor of [rules] sensors (mode "ips", with its inventory `host`) is in trouble when its agent's newest
report says Suricata is not running, that it captures without being able to drop (a mirror port, af-packet
without copy-mode ips: its drop rules block nothing), or that the kernel dropped more than [rules]
ips_kernel_drop_percent_max of the packets it captured. What a stop means for traffic depends on how it is
inline: af-packet IPS fails closed (traffic through the sensor stops), NFQUEUE with bypass fails open
(traffic passes unchecked).
console/ruleset/conditions.py announces it as a critical event; the Overview lists it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from console.agents import host_reports
from console.inventory.hosts import active_hosts
from console.common.i18n import _l
from rules.config import RulesConfig, SensorConfig


NOT_RUNNING = _l("Suricata is not running")
KERNEL_DROPS = _l("the kernel dropped %(percent)s%% of the packets (more than %(limit)s%%)")
NOT_BLOCKING = _l("Suricata captures in %(capture)s without blocking")
EFFECTS = {"watching": _l("It only watches: what its drop rules match passes through."),
           "closed": _l("It runs af-packet IPS, which fails closed: traffic through it stops until Suricata inspects "
                        "again."),
           "open": _l("It runs NFQUEUE with bypass, which fails open: traffic passes through it unchecked.")}


def fails(sensor: SensorConfig) -> str:
    """"closed" (af-packet IPS: traffic stops) or "open" (NFQUEUE with bypass: traffic passes unchecked)."""
    return "open" if sensor.ips_method == "nfqueue" else "closed"


def problem(report: dict | None, drop_percent_max: float) -> tuple[str, dict] | None:
    """(message id, its parameters) of what is wrong with a sensor report (the agent's "sensor" section), or None."""
    if not isinstance(report, dict):
        return None
    if report.get("running") is False:
        return NOT_RUNNING, {}
    if report.get("running") is True and report.get("blocking") is False:
        return NOT_BLOCKING, {"capture": str(report.get("capture_mode") or "?")[:32]}
    packets, drops = report.get("packets"), report.get("drops")
    if _count(packets) and _count(drops) is not None:
        percent = 100.0 * drops / packets
        if percent > drop_percent_max:
            return KERNEL_DROPS, {"percent": f"{percent:.1f}", "limit": f"{drop_percent_max:g}"}
    return None


def _count(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def effect(sensor: SensorConfig, reason: str) -> str:
    """The message id of what traffic through the sensor meets meanwhile (EFFECTS)."""
    return EFFECTS["watching"] if reason == NOT_BLOCKING else EFFECTS[fails(sensor)]


def ips_sensors_by_host(config: RulesConfig) -> dict[str, SensorConfig]:
    return {s.host: s for s in config.sensors if s.mode == "ips" and s.host}


def ips_problems(session: Session, config: RulesConfig) -> list[dict]:
    """[{sensor, host, reason (message id), params, fails, effect (message id)}] of the IPS sensors in trouble now."""
    sensors = ips_sensors_by_host(config)
    if not sensors:
        return []
    hosts = active_hosts(session, only=list(sensors))
    payloads = host_reports.latest_payloads(session, [h.id for h in hosts])
    found = []
    for host in hosts:
        payload = (payloads.get(host.id) or (None, {}))[1] or {}
        seen = problem(payload.get("sensor"), config.ips_kernel_drop_percent_max)
        if seen is not None:
            sensor = sensors[host.name]
            found.append({"sensor": sensor.name, "host": host.name, "reason": seen[0], "params": seen[1],
                          "fails": fails(sensor), "effect": effect(sensor, seen[0])})
    return found
