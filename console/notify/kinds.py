"""The events the console announces: each kind with its subject and text, in both languages.

The strings are message ids of the console's catalogue (console/translations),
marked with `_l` so `make messages` extracts them; messages.py renders them in
a channel's language with the event's parameters (`%(name)s`). An event's
parameters are facts about the estate (host, control, UPS, signature), never
a credential.
"""

from __future__ import annotations

from dataclasses import dataclass

from console.common.i18n import _l

__all__ = ["SEVERITIES", "suricata_severity"]


SEVERITIES = ("info", "low", "medium", "high", "critical")
SEVERITY_NAMES = {"info": _l("informational"), "low": _l("low"), "medium": _l("medium"), "high": _l("high"),
                  "critical": _l("critical")}


@dataclass(frozen=True)
class Kind:
    name: str
    subject: str
    text: str
    label: str


def _kind(name: str, label: str, subject: str, text: str) -> Kind:
    return Kind(name, subject, text, label)


KINDS: dict[str, Kind] = {kind.name: kind for kind in (
    _kind("compliance.run_failed", _l("Compliance run failed"),
          _l("Compliance run %(run_id)s: %(failed)s failed results"),
          _l("The compliance run %(run_id)s of %(finished_at)s ended with %(failed)s failed and %(unknown)s unknown "
             "results of %(total)s on %(hosts)s hosts; %(passed_percent)s passed.")),
    _kind("compliance.newly_failing", _l("Controls newly failing"),
          _l("%(count)s controls newly failing in %(unit_name)s"),
          _l("Since run %(previous_run_id)s, these controls fail in run %(run_id)s that did not fail before:")),
    _kind("host.stale", _l("Host gone stale"),
          _l("%(host)s has not reported since %(last_seen)s"),
          _l("The agent of %(host)s last reported at %(last_seen)s and has missed three reports since.")),
    _kind("host.antivirus_off", _l("Antivirus not running"),
          _l("Antivirus off on %(host)s"),
          _l("The agent of %(host)s reports %(product)s: %(problem)s.")),
    _kind("host.signatures_old", _l("Antivirus signatures too old"),
          _l("Antivirus signatures %(age_days)s days old on %(host)s"),
          _l("The antivirus signatures of %(host)s are from %(signature_date)s, older than %(max_days)s days.")),
    _kind("ups.on_battery", _l("UPS on battery"),
          _l("UPS %(device)s is on battery"),
          _l("UPS %(device)s runs on battery: charge %(charge)s%%, about %(runtime_minutes)s minutes left. "
             "It powers: %(hosts)s.")),
    _kind("ups.low_battery", _l("UPS on low battery"),
          _l("UPS %(device)s: battery low"),
          _l("UPS %(device)s reports a low battery: charge %(charge)s%%, about %(runtime_minutes)s minutes left. "
             "It powers: %(hosts)s.")),
    _kind("ups.online", _l("UPS back on line"),
          _l("UPS %(device)s is back on line power"),
          _l("UPS %(device)s runs on line power again; charge %(charge)s%%.")),
    _kind("firewall.unreachable", _l("Firewall unreachable"),
          _l("Firewall %(device)s does not answer"),
          _l("The console cannot read firewall %(device)s: %(reason)s.")),
    _kind("uplink.down", _l("Uplink down"),
          _l("Uplink %(device)s is down"),
          _l("The router reports interface %(interface)s of uplink %(device)s as %(status)s.")),
    _kind("uplink.up", _l("Uplink back up"),
          _l("Uplink %(device)s is back up"),
          _l("The router reports interface %(interface)s of uplink %(device)s up again.")),
    _kind("uplink.failover", _l("Uplink failed over"),
          _l("Traffic moved from uplink %(from_device)s to %(to_device)s"),
          _l("The traffic of %(group)s now goes through uplink %(to_device)s instead of %(from_device)s.")),
    _kind("room.temperature_out_of_range", _l("Server room temperature out of range"),
          _l("Server room %(device)s: %(temperature)s °C"),
          _l("The temperature of server room %(device)s is %(temperature)s °C, outside its range of "
             "%(temperature_min)s to %(temperature_max)s °C.")),
    _kind("room.humidity_out_of_range", _l("Server room humidity out of range"),
          _l("Server room %(device)s: humidity %(humidity)s %%"),
          _l("The humidity of server room %(device)s is %(humidity)s %%, outside its range of "
             "%(humidity_min)s to %(humidity_max)s %%.")),
    _kind("room.temperature_rising", _l("Server room heating up"),
          _l("Server room %(device)s is heating up: +%(rise)s °C in %(minutes)s minutes"),
          _l("The temperature of server room %(device)s rose by %(rise)s °C within %(minutes)s minutes, to "
             "%(temperature)s °C: is its air conditioning running?")),
    _kind("room.in_range", _l("Server room back within range"),
          _l("Server room %(device)s is back within its range"),
          _l("Server room %(device)s is back within its range: %(temperature)s °C, humidity %(humidity)s %%.")),
    _kind("ids.alert", _l("IDS alert"),
          _l("IDS: %(signature)s (%(count)s alerts)"),
          _l("Sensor %(sensor)s: %(count)s alerts of severity %(severity_name)s for \"%(signature)s\" (sid %(sid)s), "
             "from %(src)s to %(dest)s, first at %(first_seen)s, last at %(last_seen)s.")),
    _kind("ids.blocked_young_rule", _l("Blocked by a new drop rule"),
          _l("Blocked by a new rule: %(signature)s"),
          _l("Sensor %(sensor)s blocked \"%(signature)s\" (sid %(sid)s, a rule changed on %(changed_at)s) from "
             "%(src)s to %(dest)s, %(count)s times, first at %(first_seen)s. A false block cuts people off a "
             "service: check it, and allow it from the group's page if it is one.")),
    _kind("rules.build_refused", _l("Ruleset build refused"),
          _l("Ruleset build refused: the active version stays"),
          _l("A new ruleset was not activated: %(reason)s. The sensors keep version %(active_version)s.")),
    _kind("sensor.rules_failed", _l("Sensor failing rules"),
          _l("Sensor %(host)s failed to load %(failed)s rules"),
          _l("Suricata on %(host)s loaded %(loaded)s rules and failed %(failed)s (ruleset %(version)s).")),
    _kind("sensor.ips_down", _l("Inline sensor not inspecting"),
          _l("Inline sensor %(sensor)s on %(host)s: %(reason)s"),
          _l("The IPS sensor %(sensor)s on %(host)s is not inspecting traffic: %(reason)s. %(effect)s")),
    _kind("job.failed", _l("Job failed"),
          _l("Job %(job_id)s failed: %(playbook)s"),
          _l("The playbook %(playbook)s (job %(job_id)s, started by %(actor)s) ended %(state)s: %(message)s")),
    _kind("incident.deadline_near", _l("Incident report due soon"),
          _l("Incident %(incident_id)s: %(deadline)s report due in %(hours_left)s hours"),
          _l("Incident %(incident_id)s \"%(title)s\" must be reported (%(deadline)s) by %(due_at)s.")),
    _kind("incident.overdue", _l("Incident report overdue"),
          _l("Incident %(incident_id)s: %(deadline)s report overdue"),
          _l("Incident %(incident_id)s \"%(title)s\" was to be reported (%(deadline)s) by %(due_at)s; "
             "it has not been sent.")),
    # availability: service checks (console/availability)
    _kind("service.down", _l("Service down"),
          _l("Service %(service)s is down"),
          _l("%(service)s has been down since %(since)s: %(reason)s.")),
    _kind("service.up", _l("Service back up"),
          _l("Service %(service)s is back up"),
          _l("%(service)s is back up since %(at)s, after %(duration_hours)s h %(duration_minutes)s min down.")),
    _kind("service.unreachable", _l("Services unreachable"),
          _l("%(count)s services unreachable: %(parent)s down"),
          _l("%(parent)s is down since %(since)s, and the services that depend on it are unreachable:")),
    _kind("vulns.data_stale", _l("Vulnerability data too old"),
          _l("Vulnerability data is %(age_days)s days old"),
          _l("Debian's security tracker data in use is of %(data_date)s, older than %(max_days)s days: CVEs found "
             "since are not shown. Download it again and run ops vulns import.")),
    _kind("certificate.expiring", _l("Certificate expiring"),
          _l("Certificate of %(service)s expires in %(days)s days"),
          _l("The TLS certificate of %(target)s (service %(service)s) expires on %(not_after)s, in %(days)s days.")),
    _kind("certificate.expired", _l("Certificate expired"),
          _l("Certificate of %(service)s has expired"),
          _l("The TLS certificate of %(target)s (service %(service)s) expired on %(not_after)s.")),
    _kind("notify.digest", _l("Daily digest"),
          _l("Daily digest: %(count)s events (%(rule)s)"),
          _l("The events of the rule %(rule)s since the last digest:")),
    _kind("notify.test", _l("Test message"),
          _l("Ops Console test message to %(channel)s"),
          _l("%(actor)s sent this test message from the console to the channel %(channel)s.")),
)}


def suricata_severity(level: int | None) -> str:
    """Suricata's alert severity (1 highest) as ours: 1 high, 2 medium, 3 low, 4 and others informational."""
    return {1: "high", 2: "medium", 3: "low"}.get(level or 0, "info")
