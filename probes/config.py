"""The agent's settings: the [agent] section of ops.toml.

The console's loader validates this same model as part of the whole file;
on a host without the console, `load_agent_settings` reads just this
section. One definition, so the two can never disagree.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class AgentConfigError(Exception):
    """The [agent] section is wrong; the message names file, key and problem."""


class AgentSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    interval_seconds: int = Field(60, ge=5, le=86400)
    state_dir: Path = Path("/var/lib/ops-agent")
    spool_max_bytes: int = Field(50 * 1024 * 1024, ge=64 * 1024)
    host_name: str = ""
    required_services: list[str] = []
    antivirus_provider: str = "clamav"
    clamd_socket: Path = Path("/run/clamav/clamd.ctl")
    ups: list[str] = []
    suricata_socket: Path = Path("/run/suricata/suricata-command.socket")
    suricata_eve: Path = Path("/var/log/suricata/eve.json")
    request_timeout_seconds: float = Field(10, gt=0, le=300)


def load_agent_settings(path: Path | str) -> AgentSettings:
    """Read only the [agent] section; relative state_dir is relative to the file."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8")).get("agent", {})
        settings = AgentSettings.model_validate(raw)
    except FileNotFoundError:
        raise AgentConfigError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise AgentConfigError(f"{path}: not valid TOML: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        key = "agent." + ".".join(str(part) for part in first["loc"])
        raise AgentConfigError(f"{path}: {key}: {first['msg']}") from None
    return resolve_paths(settings, path.resolve().parent)


def resolve_paths(settings: AgentSettings, base: Path) -> AgentSettings:
    if settings.state_dir.is_absolute():
        return settings
    return settings.model_copy(update={"state_dir": (base / settings.state_dir).resolve()})
