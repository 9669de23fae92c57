"""A result's reason in the reader's language, from what the check recorded (`conditions.Reason.data`).

The stored `why` stays the English sentence (the CLI, JUnit and the API give
it as it was). Pages, reports and dossiers call `say(why, data, language)`,
which rebuilds the sentence from its parts: the field's name (FIELD_NAMES,
in both languages), the value seen, what was required, an age in local
units. A reason recorded before reasons had parts, or a fixed sentence of an
evidence source, is looked up in the catalogue as it is.

    say("antivirus no item of 1 holds: running = False (want = True)", {...}, "vi")
        ->  "phần mềm diệt virus clamav: đang chạy: không, yêu cầu: có"
"""

from __future__ import annotations

from console.common.i18n import _l, translations


# Every field the shipped controls read, by the name a reader knows it by.
FIELD_NAMES = {
    "action": _l("action"), "admin_services": _l("administration services"), "antivirus": _l("antivirus"),
    "battery_charge_percent": _l("battery charge (%)"), "battery_runtime_seconds": _l("battery runtime (s)"),
    "built_at": _l("ruleset built"), "collected_at": _l("reading taken"), "destination_zones": _l("destination zones"),
    "enabled": _l("enabled"), "firewall": _l("firewall"), "firewall.backend": _l("firewall backend"),
    "firewall.forward_policy": _l("firewall forward policy"), "firewall.input_policy": _l("firewall input policy"),
    "firewall.open_ports": _l("open ports"), "firewall.unparsed_rules": _l("firewall rules not understood"),
    "firewall_rules": _l("firewall rules"), "firmware_version": _l("firmware version"),
    "health.clock_offset_seconds": _l("clock offset (s)"), "health.disks": _l("disks"),
    "health.services": _l("services"), "installed": _l("installed"), "ips_policy": _l("IPS policy"),
    "last_event_at": _l("last IDS event"), "last_scan_at": _l("last scan"), "load_percent": _l("load (%)"),
    "name": _l("name"), "oldest_unreviewed_high_at": _l("oldest unreviewed high alert"), "percent": _l("percent (%)"),
    "port": _l("port"), "reachable": _l("reachable"), "realtime_protection": _l("real-time protection"),
    "running": _l("running"), "sensor.rules_failed": _l("rules that failed to load"),
    "sensor.rules_loaded": _l("rules loaded"), "sensor.running": _l("Suricata running"),
    "sensor.version": _l("ruleset version on the sensor"), "signature_date": _l("signature date"),
    "source_zones": _l("source zones"), "sshd.permit_root_login": _l("SSH root login"),
    "status_flags": _l("UPS status"), "test_date": _l("last battery test"), "test_result": _l("battery test result"),
    "unreviewed_high_count": _l("unreviewed high alerts"), "ups": _l("UPS"), "value": _l("value"),
    # Kaspersky Security Center endpoints and their coverage (console.compliance.evidence.endpoints)
    "missing": _l("devices without protection"), "rtp_running": _l("real-time protection running"),
    "bases_at": _l("anti-virus bases date"), "last_visible_at": _l("last seen by KSC"),
    # Lynis and pending security updates (the agent's report)
    "lynis.finished_at": _l("last Lynis run"), "lynis.hardening_index": _l("Lynis hardening index"),
    "lynis.warning_ids": _l("Lynis warnings"), "updates.apt_updated_at": _l("last apt update"),
    "updates.checked_at": _l("updates checked"), "updates.oldest_pending_since": _l("oldest pending security update"),
    "updates.security_pending_count": _l("pending security updates"),
    # Uplinks, server rooms and services (console.compliance.evidence.devices and .services)
    "oper_status": _l("interface state"), "temperature_state": _l("temperature"),
    "humidity_state": _l("humidity"), "humidity_source": _l("humidity sensor"),
    "certificate_state": _l("TLS certificate"), "sla_state": _l("month against the SLA target"),
}
OPERATORS = {"in": _l("one of"), "not_in": _l("none of"), "contains": _l("contains"),
             "not_contains": _l("does not contain"), "text_contains": _l("mentions")}
SYMBOLS = {"eq": "=", "ne": "≠", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤"}
# The words the state fields take (a room's temperature, an uplink, a certificate, a month against its target).
STATE_WORDS = {"ok": _l("ok"), "high": _l("high"), "low": _l("low"), "up": _l("up"), "down": _l("down"),
               "expiring": _l("expiring"), "expired": _l("expired"), "met": _l("met"), "missed": _l("missed")}
RESULTS = {"pass": _l("pass"), "fail": _l("fail"), "unknown": _l("unknown"), "waived": _l("waived")}
MAX_DEPTH = 8
# Fixed sentences of the evidence sources, stored as they are and said from the catalogue.
EVIDENCE_TEXTS = (_l("no report from this host's agent yet"), _l("no reading from this device"),
                  _l("rule manager gave no status"), _l("no evidence"))


def say(why: str, data: dict | None, language: str) -> str:
    """The reason in `language` ("vi" or "en"); the stored English text when its parts are unknown."""
    gettext = translations(language).gettext
    if not isinstance(data, dict):
        return gettext(why) if why else why
    try:
        return _say(data, gettext, 0)
    except (KeyError, TypeError, ValueError):  # parts of an older or foreign shape: the text as stored
        return why


def _say(data: dict, _, depth: int) -> str:
    if depth > MAX_DEPTH:
        return "..."
    kind = data.get("k")
    field = _field(data.get("f", "value"), _)
    inner = (lambda: _say(data["in"], _, depth + 1) if isinstance(data.get("in"), dict) else "")
    if kind == "missing":
        return _("%(field)s: not reported") % {"field": field}
    if kind == "exists":
        return (_("%(field)s: reported") if data["ok"] else _("%(field)s: missing")) % {"field": field}
    if kind == "unknown_value":
        return _("%(field)s: not known") % {"field": field}
    if kind == "no_other":
        return _("%(field)s: nothing to compare with (%(other)s not reported)") % {
            "field": field, "other": _field(data.get("src", ""), _)}
    if kind == "incomparable":
        return _("%(field)s: %(value)s cannot be compared with %(other)s") % {
            "field": field, "value": _value(data.get("v"), _), "other": _value(data.get("o"), _)}
    if kind == "cmp":
        op = data["op"]
        other = _value(data.get("o"), _)
        wanted = other if op == "eq" else (f"{SYMBOLS[op]} {other}" if op in SYMBOLS else f"{_(OPERATORS[op])} {other}")
        text = _("%(field)s: %(value)s (%(wanted)s)") if data["ok"] else _("%(field)s: %(value)s, required: %(wanted)s")
        return text % {"field": field, "value": _value(data.get("v"), _), "wanted": wanted}
    if kind == "not_time":
        return _("%(field)s: %(value)s is not a time with a zone") % {"field": field, "value": _value(data.get("v"), _)}
    if kind == "age":
        limit = _age(int(data["limit"]), _)
        wanted = (_("at most %(limit)s") if data["op"] == "age_lte" else _("at least %(limit)s")) % {"limit": limit}
        text = _("%(field)s: %(age)s ago (%(wanted)s)") if data["ok"] else _("%(field)s: %(age)s ago, required: %(wanted)s")
        return text % {"field": field, "age": _age(int(data["age"]), _), "wanted": wanted}
    if kind == "not_list":
        return _("%(field)s: not a list") % {"field": field}
    if kind == "empty":
        return _("%(field)s: none reported") % {"field": field}
    if kind == "item":
        if data.get("name"):
            return _("%(field)s %(name)s: %(reason)s") % {"field": field, "name": data["name"], "reason": inner()}
        return _("%(field)s item %(number)s: %(reason)s") % {"field": field, "number": int(data["i"]) + 1,
                                                               "reason": inner()}
    if kind == "no_item" and data["n"] == 1 and data.get("name"):
        return _("%(field)s %(name)s: %(reason)s") % {"field": field, "name": data["name"], "reason": inner()}
    if kind == "no_item":
        return _("%(field)s: none of %(count)s holds (%(name)s: %(reason)s)") % {
            "field": field, "count": data["n"], "name": data.get("name") or "1", "reason": inner()}
    if kind == "all_hold":
        return _("%(field)s: all %(count)s hold") % {"field": field, "count": data["n"]}
    if kind == "none_match":
        return _("%(field)s: none of %(count)s match") % {"field": field, "count": data["n"]}
    if kind == "join":
        return "; ".join(_say(part, _, depth + 1) for part in data["parts"] if isinstance(part, dict))
    if kind == "not":
        return _("not (%(reason)s)") % {"reason": inner()}
    if kind == "waived":
        return _("waived until %(date)s by %(user)s: %(note)s (evaluated: %(result)s: %(reason)s)") % {
            "date": str(data["until"])[:10], "user": data["by"], "note": data["note"],
            "result": _(RESULTS.get(data["result"], data["result"])), "reason": inner()}
    if kind == "manual_valid":
        return _("manual evidence valid until %(date)s") % {"date": data["until"]}
    if kind == "manual_missing":
        return _("no manual evidence valid on the run's date")
    if kind == "no_result":
        return _("no result of %(controls)s on this system's hosts") % {"controls": data["controls"]}
    if kind == "not_met":
        return _("%(failed)s failed, %(unknown)s unknown of %(total)s results on %(hosts)s hosts") % {
            "failed": data["failed"], "unknown": data["unknown"], "total": data["total"], "hosts": data["hosts"]}
    if kind == "waived_count":
        return _("%(waived)s waived, %(passed)s passed") % {"waived": data["waived"], "passed": data["passed"]}
    if kind == "all_passed":
        return _("all %(count)s results passed") % {"count": data["count"]}
    if kind == "no_time":
        return _("evidence has no collection time")
    if kind == "stale":
        return _("evidence is %(age)s old (at most %(limit)s accepted)") % {
            "age": _age(int(data["age"]), _), "limit": _age(int(data["limit"]), _)}
    # A remediation's verification (console.remediation.service)
    if kind == "remediation_unreachable":
        return _("the apply job could not reach %(host)s") % {"host": data["host"]}
    if kind == "remediation_gone":
        return _("%(host)s is no longer an active inventory host") % {"host": data["host"]}
    if kind == "remediation_no_report":
        return _("no agent report since the apply job ended (waited %(minutes)s min)") % {"minutes": data["minutes"]}
    # A CVE fix's verification (console.vulns.fixes)
    if kind == "vuln_fixed":
        return _("%(cve)s no longer affects the installed packages") % {"cve": data["cve"]}
    if kind == "vuln_still_installed":
        return _("%(source)s %(installed)s is still installed; %(cve)s is fixed in %(fixed)s") % {
            "source": data["source"], "installed": data["installed"], "cve": data["cve"], "fixed": data["fixed"]}
    if kind == "vuln_still_affected":
        return _("%(cve)s still affects %(source)s %(installed)s") % {
            "cve": data["cve"], "source": data["source"], "installed": data["installed"]}
    if kind == "vuln_no_inventory":
        return _("no package list from the agent since the apply job ended (waited %(minutes)s min)") % {
            "minutes": data["minutes"]}
    raise ValueError(f"unknown reason kind {kind!r}")


def _field(name: str, _) -> str:
    known = FIELD_NAMES.get(name)
    return _(known) if known else name


def _value(value, _) -> str:
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if value is None:
        return "—"
    if isinstance(value, str) and value in STATE_WORDS:
        return _(STATE_WORDS[value])
    return str(value)


def _age(seconds: int, _) -> str:
    if abs(seconds) < 120:
        return _("%(count)s s") % {"count": seconds}
    if abs(seconds) < 7200:
        return _("%(count)s min") % {"count": seconds // 60}
    if abs(seconds) < 172800:
        return _("%(count)s h") % {"count": seconds // 3600}
    return _("%(count)s days") % {"count": seconds // 86400}


def say_row(row, language: str) -> str:
    """say() for a result row or a verdict: an object with .why/.reason, or a dict with those keys."""
    if isinstance(row, dict):
        return say(row.get("why") or "", row.get("reason"), language)
    return say(getattr(row, "why", "") or "", getattr(row, "reason", None), language)
