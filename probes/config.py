"""The agent's settings: the [agent] section of ops.toml.

A plain dataclass that checks itself, so the agent does not load pydantic
(about 15 MB of the agent's memory). The console's loader validates this same
class as part of the whole file (pydantic accepts standard dataclasses); on a
host without the console, `load_agent_settings` reads just this section. One
definition, so the two can never disagree.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from probes.errors import ProbeError

RANGES = {"interval_seconds": (5, 86400), "spool_max_bytes": (64 * 1024, 2**40),
          "request_timeout_seconds": (0.1, 300), "lynis_interval_hours": (0, 24 * 30),
          "lynis_timeout_minutes": (1, 24 * 60), "updates_interval_minutes": (0, 7 * 24 * 60),
          "packages_interval_minutes": (0, 7 * 24 * 60)}

SERVICES_SCOPES = ("all", "netns")
# A Lynis test group's name as `lynis show groups` prints them (ssh, firewalls, kernel_hardening, ...).
LYNIS_GROUP = re.compile(r"[a-z][a-z0-9_]{0,31}")
MAX_LYNIS_GROUPS = 64


class AgentConfigError(ProbeError):
    """The [agent] section is wrong; the message names file, key and problem."""


class AgentSettingError(ProbeError, ValueError):
    """One key of [agent] is wrong: `key` names it, the message says why.

    Also a ValueError: load_agent_settings and the console's pydantic loader treat it as bad input.
    """

    def __init__(self, key: str, message: str):
        self.key = key
        super().__init__(message)


@dataclass(frozen=True)
class AgentSettings:
    __pydantic_config__ = {"extra": "forbid"}  # read by the console's pydantic loader

    interval_seconds: int = 60
    state_dir: Path = Path("/var/lib/ops-agent")
    spool_max_bytes: int = 50 * 1024 * 1024
    host_name: str = ""
    required_services: list[str] = field(default_factory=list)
    antivirus_provider: str = "clamav"
    clamd_socket: Path = Path("/run/clamav/clamd.ctl")
    ups: list[str] = field(default_factory=list)
    suricata_socket: Path = Path("/run/suricata/suricata-command.socket")
    suricata_eve: Path = Path("/var/log/suricata/eve.json")
    suricata_ruleset_version_file: Path = Path("/var/lib/suricata/rules/ops-ruleset-version")
    sshd_config: Path = Path("/etc/ssh/sshd_config")
    request_timeout_seconds: float = 10.0
    ship_eve: bool = False
    lynis_interval_hours: int = 24
    lynis_timeout_minutes: int = 30
    # Only these Lynis test groups (`lynis show groups`; `--tests-from-group`); empty: the full audit.
    lynis_groups: list[str] = field(default_factory=list)
    updates_interval_minutes: int = 60
    packages_interval_minutes: int = 60  # installed packages (the console matches them against CVE data)
    # Which processes count for required_services and clamonacc: "all" of the machine, or only those
    # in the agent's own network namespace ("netns": lab hosts, which share one machine's processes).
    services_scope: str = "all"

    def __post_init__(self):
        for name, (low, high) in RANGES.items():
            value = getattr(self, name)
            if not low <= value <= high:
                raise AgentSettingError(name, f"{name} must be between {low} and {high} (got {value!r})")
        if self.antivirus_provider not in ("clamav", "kesl", "defender", "wsc", "none"):
            raise AgentSettingError("antivirus_provider", f"antivirus_provider must be clamav, kesl, defender, wsc or none "
                             f"(got {self.antivirus_provider!r})")
        if len(self.lynis_groups) > MAX_LYNIS_GROUPS:
            raise AgentSettingError("lynis_groups", f"lynis_groups names at most {MAX_LYNIS_GROUPS} groups "
                                    f"(got {len(self.lynis_groups)})")
        for group in self.lynis_groups:
            if not isinstance(group, str) or not LYNIS_GROUP.fullmatch(group):
                raise AgentSettingError("lynis_groups", f"lynis_groups: {group!r} is not a Lynis group name "
                                        "(lower-case letters, digits and _, as `lynis show groups` lists them)")
        if self.services_scope not in SERVICES_SCOPES:
            raise AgentSettingError("services_scope", f"services_scope must be all or netns (got {self.services_scope!r})")


def load_agent_settings(path: Path | str) -> AgentSettings:
    """Read only the [agent] section; relative state_dir is relative to the file."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8")).get("agent", {})
        settings = agent_settings_from(raw)
    except FileNotFoundError:
        raise AgentConfigError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise AgentConfigError(f"{path}: not valid TOML: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise AgentConfigError(f"{path}: [agent] {exc}") from None
    return resolve_paths(settings, path.resolve().parent)


def agent_settings_from(raw: dict) -> AgentSettings:
    """Build the settings from the [agent] table; AgentSettingError names the bad key."""
    if not isinstance(raw, dict):
        raise AgentSettingError("agent", "[agent] must be a table")
    return AgentSettings(**_typed(raw))


def _typed(raw: dict) -> dict:
    """Check each key's type as TOML gives it; paths become Path."""
    fields = {f.name: f.type for f in dataclasses.fields(AgentSettings)}
    typed = {}
    for key, value in raw.items():
        kind = fields.get(key)
        if kind is None:
            raise AgentSettingError(key, f"{key}: unknown key (check its spelling)")
        typed[key] = _coerce(key, kind, value)
    return typed


def _coerce(key: str, kind: str, value):
    if kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
        raise AgentSettingError(key, f"{key} must be a whole number (got {value!r})")
    if kind == "bool" and not isinstance(value, bool):
        raise AgentSettingError(key, f"{key} must be true or false (got {value!r})")
    if kind == "float" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise AgentSettingError(key, f"{key} must be a number (got {value!r})")
    if kind in ("str", "Path") and not isinstance(value, str):
        raise AgentSettingError(key, f"{key} must be a string (got {value!r})")
    if kind == "list[str]" and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise AgentSettingError(key, f"{key} must be a list of strings (got {value!r})")
    return Path(value) if kind == "Path" else value


def resolve_paths(settings: AgentSettings, base: Path) -> AgentSettings:
    if settings.state_dir.is_absolute():
        return settings
    return dataclasses.replace(settings, state_dir=(base / settings.state_dir).resolve())
