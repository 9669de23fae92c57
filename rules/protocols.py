"""Rules for what the sensor's suricata.yaml turns off are disabled, as suricata-update disables them.

suricata-update reads suricata.yaml through `suricata -c <yaml> --dump-config`
(`suricata.update.engine.Configuration.load`, used here as it is) and then,
in `suricata.update.main._main`:

- app-layer protocols: every key `app-layer.protocols.<proto>.enabled` (one
  level only: `app-layer.protocols.dns.tcp.enabled` is not one) whose value
  is not yes/true/1/detection-only adds a `ProtoRuleMatcher(proto)` to the
  disable matchers, which matches a rule by its protocol field
  (`alert dnp3 ...`); a rule that only names the protocol in an option
  (`alert tcp ... app-layer-event:dnp3...`) is not matched. These run with
  disable.conf, before enable.conf, so an enable.conf line can turn a rule
  back on (and then Suricata refuses it): `disable_app_layer`, called before
  the policy.
- ja3: `suricata.update.main.disable_ja3`, after the policy: rules that
  need ja3 are disabled when Suricata is built without NSS or
  `app-layer.protocols.tls.ja3-fingerprints` is set to something else than
  yes/true/1/auto: `disable_ja3`.

One addition: Suricata 7 leaves modbus, dnp3 and enip off when suricata.yaml
does not mention them (DEFAULT_OFF), and then refuses every rule of theirs;
suricata-update disables them only when the file says "no", so with such a
file its own `suricata -T` fails. Here their rules are disabled in both cases.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from suricata.update import engine
from suricata.update.matchers import ProtoRuleMatcher

DEFAULT_OFF = ("modbus", "dnp3", "enip")  # Suricata 7's parsers that are off unless suricata.yaml enables them
APP_LAYER_KEY = re.compile(r"app-layer\.protocols\.([^\.]+)\.enabled")  # suricata.update.main._main


# what a suricata.yaml includes: `include: x.yaml`, its list form, `key: !include x.yaml`
INCLUDE = re.compile(r"(?:^\s*(?:include:|-)|!include)\s*['\"]?([^'\"#\s]+\.ya?ml)", re.MULTILINE)


def load(suricata: Path, suricata_yaml: Path, cache: dict | None = None) -> tuple[object | None, list[str]]:
    """suricata.yaml as suricata-update reads it (an engine.Configuration), or None and the reason.

    With `cache` (the ParseCache's), the dump is reused while Suricata, the file and the files it
    includes keep their size and mtime: it costs two runs of Suricata (about 0.1 s).
    """
    key = _stamp(suricata, suricata_yaml) if cache is not None else None
    if key is not None and key in cache:
        return cache[key]
    found = _load(suricata, suricata_yaml)
    if key is not None and found[0] is not None:
        cache.clear()
        cache[key] = found
    return found


def _stamp(suricata: Path, suricata_yaml: Path) -> tuple | None:
    try:
        text = suricata_yaml.read_text(encoding="utf-8", errors="replace")
        paths = [Path(suricata), suricata_yaml,
                 *(suricata_yaml.parent / name for name in INCLUDE.findall(text))]
        return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) if p.exists() else (str(p),) for p in paths)
    except OSError:
        return None


def _load(suricata: Path, suricata_yaml: Path) -> tuple[object | None, list[str]]:
    if not suricata_yaml.is_file():
        return None, [f"warning: {suricata_yaml} not found: rules for app-layer protocols it turns off are "
                      "not disabled"]
    if not (suricata and os.access(suricata, os.X_OK)):
        return None, [f"warning: {suricata} not found: {suricata_yaml} not read, rules for app-layer protocols "
                      "it turns off are not disabled"]
    try:
        return engine.Configuration.load(str(suricata_yaml), suricata_path=str(suricata)), []
    except (OSError, subprocess.CalledProcessError) as exc:
        return None, [f"warning: {suricata} --dump-config cannot read {suricata_yaml} ({exc}): rules for "
                      "app-layer protocols it turns off are not disabled"]


def protocols_off(suriconf) -> dict[str, str]:
    """{protocol: why} for each app-layer protocol the configuration turns off."""
    off = {}
    for key in suriconf.keys():
        found = APP_LAYER_KEY.match(key)
        if not found:
            continue
        proto = found.group(1)
        if not _true(suriconf, key, ("detection-only",)):
            off[proto] = ""
        elif proto == "smb" and suriconf.build_info and suriconf.build_info["version"].major < 5 \
                and "RUST" not in suriconf.build_info["features"]:
            off[proto] = " (Suricata before 5 without Rust has no SMB parser)"  # suricata-update's special case
    for proto in DEFAULT_OFF:
        if f"app-layer.protocols.{proto}.enabled" not in suriconf.keys():
            off[proto] = " (not set there: Suricata leaves it off)"
    return off


def _true(suriconf, key: str, truthy: tuple[str, ...]) -> bool:
    # engine.Configuration.is_true without its warning for missing keys
    value = suriconf.get(key)
    return value is not None and value.lower() in ("1", "yes", "true", *truthy)


def disable_app_layer(suriconf, rulemap: dict, suricata_yaml: Path) -> list[str]:
    """Disable the enabled rules whose protocol is an app-layer protocol turned off; one message per protocol."""
    if suriconf is None:
        return []
    messages = []
    for proto, why in sorted(protocols_off(suriconf).items()):
        matcher, count = ProtoRuleMatcher(proto), 0
        for rule in rulemap.values():
            if rule.enabled and matcher.match(rule):
                rule.enabled = False
                count += 1
        if count:
            messages.append(f"info: {count} rules disabled: app-layer protocol {proto} is turned off in "
                            f"{suricata_yaml}{why}")
    return messages


def disable_ja3(suriconf, rulemap: dict, suricata_yaml: Path) -> list[str]:
    """suricata.update.main.disable_ja3: rules needing ja3 off when Suricata cannot compute it."""
    if suriconf is None or not suriconf.build_info:
        return []
    if "HAVE_NSS" not in suriconf.build_info.get("features", []):
        reason = "Suricata is built without libnss"
    else:
        value = suriconf.get("app-layer.protocols.tls.ja3-fingerprints")
        if not value:
            version = suriconf.build_info.get("version")
            value = "no" if version and version.major < 5 else "auto"
        if value.lower() in ("1", "yes", "true", "auto"):
            return []
        reason = f"ja3 fingerprints are turned off in {suricata_yaml}"
    count = 0
    for rule in rulemap.values():
        if rule.enabled and "ja3" in rule["features"]:
            rule.enabled = False
            count += 1
    return [f"info: {count} rules disabled: {reason}"] if count else []
