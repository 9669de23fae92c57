"""Parsing Sophos Firewall XML API answers (pure; no network).

Formats as Sophos documents them in the API help of SFOS (entities Zone,
FirewallRule, IPSPolicy; `<Response APIVersion=...>` with `<Login><status>`):
a Get answer holds one element per record, each with `transactionid=""`, or
one `<Status>` element when there is nothing ("No. of records Zero.") or an
error (`<Status code="5xx">`). The answer is hostile: defusedxml refuses DTDs
and entities (no billion laughs, no external entities), counts and string
lengths are capped, and a shape we do not know is an error naming what was
expected, never a guess.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from console.devices.connectors import ConnectorError

ENTITIES = ("Zone", "FirewallRule", "IPSPolicy")
MAX_RECORDS = {"Zone": 200, "FirewallRule": 5000, "IPSPolicy": 500}
MAX_TEXT = 128
LOGIN_OK = "Authentication Successful"


def parse_answer(raw: bytes) -> dict:
    """The device state fields from one answer to Login + Get Zone, FirewallRule, IPSPolicy."""
    root = _root(raw)
    _check_login(root)
    records = {entity: _records(root, entity) for entity in ENTITIES}
    return {
        "firmware_version": _text(root.get("APIVersion")),
        "admin_services": {z["name"]: z["services"].get("AdminServices", []) for z in map(_zone, records["Zone"])},
        "zone_services": {z["name"]: z["services"] for z in map(_zone, records["Zone"])},
        "firewall_rules": [_rule(record) for record in records["FirewallRule"]],
        "ips_policies": [_text(record.findtext("Name")) for record in records["IPSPolicy"]],
    }


def _root(raw: bytes) -> Element:
    try:
        root = fromstring(raw, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise ConnectorError(f"the firewall's answer is not XML the API sends ({_text(str(exc))})") from None
    if root.tag != "Response":
        raise ConnectorError(f"the firewall's answer is <{_text(root.tag)}>, not <Response>")
    return root


def _check_login(root: Element) -> None:
    login = root.find("Login")
    if login is None:
        status = root.find("Status")
        if status is not None:  # e.g. 534: API access not allowed from this address
            raise ConnectorError(f"the firewall refused the request: {status.get('code', '?')} {_text(status.text)}")
        raise ConnectorError("the firewall's answer has no <Login> status")
    status_text = (login.findtext("status") or "").strip()
    if status_text != LOGIN_OK:
        raise ConnectorError(f"the firewall refused the login: {_text(status_text) or 'no status'}")


def _records(root: Element, entity: str) -> list[Element]:
    found = root.findall(entity)
    if len(found) == 1 and found[0].find("Status") is not None and found[0].find("Name") is None:
        status = found[0].find("Status")
        code = status.get("code")
        if code and code != "200":
            raise ConnectorError(f"the firewall answered {entity} with {code} {_text(status.text)}")
        return []  # "No. of records Zero."
    if len(found) > MAX_RECORDS[entity]:
        raise ConnectorError(f"the firewall sent {len(found)} {entity} records, more than {MAX_RECORDS[entity]}")
    return found


def _zone(record: Element) -> dict:
    services: dict[str, list[str]] = {}
    access = record.find("ApplianceAccess")
    for group in access if access is not None else []:
        services[_text(group.tag)] = [_text(svc.tag) for svc in group if (svc.text or "").strip() == "Enable"]
    return {"name": _required(record, "Zone"), "services": services}


def _rule(record: Element) -> dict:
    policy = record.find("NetworkPolicy")
    if policy is None:
        policy = record.find("UserPolicy")
    if policy is None:
        policy = Element("none")
    ips = _text(policy.findtext("IntrusionPrevention"))
    return {
        "name": _required(record, "FirewallRule"),
        "enabled": (record.findtext("Status") or "").strip() == "Enable",
        "policy_type": _text(record.findtext("PolicyType")),
        "action": _text(policy.findtext("Action")),
        "source_zones": [_text(z.text) for z in policy.findall("SourceZones/Zone")][:50],
        "destination_zones": [_text(z.text) for z in policy.findall("DestinationZones/Zone")][:50],
        "ips_policy": None if ips in ("", "None") else ips,
    }


def _required(record: Element, entity: str) -> str:
    name = _text(record.findtext("Name"))
    if not name:
        raise ConnectorError(f"a {entity} record in the firewall's answer has no <Name>")
    return name


def _text(value: str | None) -> str:
    return (value or "").strip()[:MAX_TEXT]
