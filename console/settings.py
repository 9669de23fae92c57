"""The one loader of ops.toml.

Every setting the console, the CLI and the services use comes from here, read
once and validated with pydantic, so a typo or a wrong type is caught before
anything runs. Paths in the file are relative to the file's own folder.
Secrets may come from the environment instead (OPS_SECRET_KEY,
OPS_DATABASE_URL), and the inventory's path too (OPS_INVENTORY_PATH); secrets
are kept in `SecretStr` so that printing the settings never shows them.
"""

from __future__ import annotations

import os
import re
import secrets
import tomllib
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from console.access.config import SecuritySettings
from console.access.directory.config import AuthSettings
from console.agents.config import ReportsSettings
from console.alerts.config import AlertsSettings
from console.compliance.config import ComplianceSettings
from console.inventory.config import InventorySettings
from console.jobs.config import JobsSettings
from console.availability import config as availability_config
from console.availability.config import AvailabilitySettings, maintenance_line, table_line
from console.vulns.config import VulnsSettings
from console.devices.config import SECRET_FIELDS, DeviceConfig, duplicate_name, find_table_line
from console.endpoints.config import EndpointsSettings
from console.common.toml_lines import default_config_path, key_line, nested_key_line
from console.errors import ConfigError
from console.notify.config import CHANNEL_SECRETS, NotifySettings
from probes.config import AgentSettingError, AgentSettings, agent_settings_from, resolve_paths
from rules.config import RulesConfig

Locale = Literal["vi", "en"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConsoleSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    workers: int = Field(2, ge=1, le=64)
    threads: int = Field(4, ge=1, le=64)
    secret_key: SecretStr = SecretStr("")
    default_locale: Locale = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"
    secure_cookies: bool = False
    session_lifetime_minutes: int = Field(480, ge=5, le=10080)
    proxy_count: int = Field(0, ge=0, le=5)
    max_future_hours: int = Field(24, ge=0, le=8760)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Asia/Ho_Chi_Minh)")
        return value


class DatabaseSettings(_Section):
    url: SecretStr = SecretStr("sqlite:///var/ops.db")

    @field_validator("url")
    @classmethod
    def _supported(cls, value: SecretStr) -> SecretStr:
        scheme = value.get_secret_value().split(":", 1)[0]
        if not (scheme.startswith("sqlite") or scheme.startswith("postgresql")):
            raise ValueError("only sqlite:/// and postgresql+psycopg:// URLs are supported")
        return value


class MetricsSettings(_Section):
    require_token: bool = True


class PathsSettings(_Section):
    var_dir: Path = Path("var")


class BackupSettings(_Section):
    folder: Path | None = None
    keep: int = Field(14, ge=1, le=1000)
    pg_bin_dir: Path = Path("/usr/lib/postgresql/15/bin")

    @field_validator("folder", mode="before")
    @classmethod
    def _beside_var(cls, value):
        return None if value in ("", None) else value


class Settings(_Section):
    console: ConsoleSettings = ConsoleSettings()
    database: DatabaseSettings = DatabaseSettings()
    security: SecuritySettings = SecuritySettings()
    metrics: MetricsSettings = MetricsSettings()
    inventory: InventorySettings = InventorySettings()
    paths: PathsSettings = PathsSettings()
    backup: BackupSettings = BackupSettings()
    agent: AgentSettings = AgentSettings()
    reports: ReportsSettings = ReportsSettings()
    devices: list[DeviceConfig] = []
    endpoints: EndpointsSettings = EndpointsSettings()
    jobs: JobsSettings = JobsSettings()
    rules: RulesConfig = RulesConfig()
    alerts: AlertsSettings = AlertsSettings()
    compliance: ComplianceSettings = ComplianceSettings()
    notify: NotifySettings = NotifySettings()
    auth: AuthSettings = AuthSettings()
    availability: AvailabilitySettings = AvailabilitySettings()
    vulns: VulnsSettings = VulnsSettings()
    source: Path | None = None

    @property
    def database_url(self) -> str:
        return self.database.url.get_secret_value()

    @property
    def secret_key(self) -> str:
        return self.console.secret_key.get_secret_value()


def load_settings(path: Path | str | None = None, environ: dict | None = None) -> Settings:
    """Read, validate and resolve ops.toml; raise ConfigError naming key and line.

    A missing file is not an error when no path was asked for explicitly: every
    key has a default. Relative paths are resolved against the file's folder.
    """
    environ = os.environ if environ is None else environ
    explicit = path is not None
    path = Path(path) if path is not None else default_config_path()
    text = ""
    if path.exists():
        text = _read_text(path)
    elif explicit:
        raise ConfigError(path, "file not found")
    raw = _parse_toml(path, text)
    _apply_environment(raw, environ)
    _build_agent_section(path, text, raw)
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        raise _config_error(path, text, exc) from None
    _check_devices(path, text, settings.devices)
    _check_notify(path, text, settings.notify)
    _check_availability(path, text, settings)
    return _resolve(settings, path.resolve().parent, path.resolve())


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(path, "not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(path, f"cannot read: {exc.strerror}") from None


def _parse_toml(path: Path, text: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _line_from_message(str(exc))
        message = str(exc).split(" (at line")[0]
        raise ConfigError(path, f"not valid TOML: {message}", line=line) from None


def _build_agent_section(path: Path, text: str, raw: dict) -> None:
    """[agent] is checked by the agent's own code, so console and agent agree on it."""
    if "agent" not in raw:
        return
    try:
        raw["agent"] = agent_settings_from(raw["agent"])
    except AgentSettingError as exc:
        raise ConfigError(path, str(exc), key=f"agent.{exc.key}", line=key_line(text, ["agent", exc.key])) from None


def _check_devices(path: Path, text: str, devices: list[DeviceConfig]) -> None:
    duplicate = duplicate_name(devices)
    if duplicate:
        index, name = duplicate
        raise ConfigError(path, f"device name {name!r} is used twice", key=f"devices[{index}].name",
                          line=find_table_line(text, "devices", index, "name"))


def _check_notify(path: Path, text: str, notify: NotifySettings) -> None:
    for table, index, key, message in notify.problems():
        raise ConfigError(path, message, key=f"{table}[{index}].{key}", line=find_table_line(text, table, index, key))


def _check_availability(path: Path, text: str, settings: Settings) -> None:
    """Names used twice, dependencies on nothing, a dependency cycle: at the line of the table that says it."""
    for table, index, check, key, message in settings.availability.problems(availability_config.configured_uplinks(settings)):
        if table == "maintenance":
            raise ConfigError(path, message, key=f"availability.maintenance[{index}].{key}",
                              line=maintenance_line(text, index, key))
        where = f"availability.services[{index}]" + (f".checks[{check}]" if check is not None else "")
        raise ConfigError(path, message, key=f"{where}.{key}", line=table_line(text, index, check, key))


def check_secret_references(settings: Settings, environ=None) -> None:
    """`ops config check`: every credential reference resolves here; ConfigError naming the table and key if not.

    Only the check does this: the console reads a secret at the moment it uses it.
    """
    from console.common.secrets import SecretError, resolve

    path = settings.source or default_config_path()
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    tables = [("devices", index, item, SECRET_FIELDS) for index, item in enumerate(settings.devices)]
    tables += [("notify.channels", index, item, CHANNEL_SECRETS) for index, item in enumerate(settings.notify.channels)]
    if settings.endpoints.password:
        try:
            resolve(settings.endpoints.password, environ)
        except SecretError as exc:
            raise ConfigError(path, str(exc), key="endpoints.password",
                              line=key_line(text, ["endpoints", "password"])) from None
    ldap = settings.auth.ldap
    if ldap.enabled and ldap.bind_password:
        try:
            resolve(ldap.bind_password, environ)
        except SecretError as exc:
            raise ConfigError(path, str(exc), key="auth.ldap.bind_password",
                              line=nested_key_line(text, ["auth", "ldap", "bind_password"])) from None
    if ldap.enabled and ldap.ca_file and not ldap.ca_file.is_file():
        raise ConfigError(path, f"no such file: {ldap.ca_file}", key="auth.ldap.ca_file",
                          line=nested_key_line(text, ["auth", "ldap", "ca_file"]))
    for table, index, item, fields in tables:
        for key in fields:
            reference = getattr(item, key)
            if not reference:
                continue
            try:
                resolve(reference, environ)
            except SecretError as exc:
                raise ConfigError(path, str(exc), key=f"{table}[{index}].{key}",
                                  line=find_table_line(text, table, index, key)) from None


def _line_from_message(message: str) -> int | None:
    found = re.search(r"at line (\d+)", message)
    return int(found.group(1)) if found else None


def _apply_environment(raw: dict, environ) -> None:
    if environ.get("OPS_SECRET_KEY"):
        raw.setdefault("console", {})["secret_key"] = environ["OPS_SECRET_KEY"]
    if environ.get("OPS_DATABASE_URL"):
        raw.setdefault("database", {})["url"] = environ["OPS_DATABASE_URL"]
    if environ.get("OPS_INVENTORY_PATH"):  # the demo: the estate plus its lab (`ops lab sync-inventory`)
        raw.setdefault("inventory", {})["path"] = environ["OPS_INVENTORY_PATH"]


def _config_error(path: Path, text: str, exc: ValidationError) -> ConfigError:
    first = exc.errors()[0]
    loc = [str(part) for part in first["loc"]]
    key = ".".join(loc)
    if loc[0] == "devices" and len(loc) > 1 and loc[1].isdigit():
        return _table_error(path, text, "devices", _kind_key(loc[1:]), first)
    if loc[:2] in (["notify", "channels"], ["notify", "rules"]) and len(loc) > 2 and loc[2].isdigit():
        return _table_error(path, text, f"notify.{loc[1]}", loc[2:], first)
    if loc[0] == "auth":
        return _auth_error(path, text, loc, first)
    if loc[0] == "availability" and len(loc) > 2 and loc[1] in ("services", "maintenance") and loc[2].isdigit():
        return _availability_error(path, text, loc, first)
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "unknown key (check its spelling and section)"
    elif "input" in first and first["type"] != "missing" and not _is_secret(loc):
        message = f"{message} (got {first['input']!r})"
    return ConfigError(path, message, key=key, line=key_line(text, loc))


def _kind_key(loc: list[str]) -> list[str]:
    """A device kind's own key is validated in `options.<kind>.<key>`; the user wrote it as `<key>`."""
    if len(loc) > 2 and loc[1] == "options":
        return [loc[0], *loc[3:]]
    return loc


def _is_secret(loc: list[str]) -> bool:
    return (loc[-1:] in (["secret_key"], ["url"]) or (loc[0] == "devices" and loc[-1] in SECRET_FIELDS)
            or loc == ["endpoints", "password"]
            or (loc[0] == "notify" and loc[-1] in CHANNEL_SECRETS))


def _table_error(path: Path, text: str, table: str, loc: list[str], first: dict) -> ConfigError:
    """`devices[2].port`, at the line of that key in the third [[devices]] table (or [[notify.channels]]...)."""
    index, field = int(loc[0]), (loc[1] if len(loc) > 1 else None)
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown key (check its spelling)"
    elif first["type"] not in ("missing", "value_error") and not _is_secret([table.split(".")[0], *loc]):
        message = f"{message} (got {first['input']!r})"
    key = f"{table}[{index}]" + (f".{field}" if field else "")
    return ConfigError(path, message, key=key, line=find_table_line(text, table, index, field))


def _availability_error(path: Path, text: str, loc: list[str], first: dict) -> ConfigError:
    """`availability.services[1].checks[0].url`, at the line of that key in that nested table."""
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown key (check its spelling)"
    elif first["type"] not in ("missing", "value_error"):
        message = f"{message} (got {first['input']!r})"
    index = int(loc[2])
    if loc[1] == "maintenance":
        field = loc[3] if len(loc) > 3 else None
        return ConfigError(path, message, key=f"availability.maintenance[{index}]" + (f".{field}" if field else ""),
                           line=maintenance_line(text, index, field))
    check = int(loc[4]) if len(loc) > 4 and loc[3] == "checks" and loc[4].isdigit() else None
    field = (loc[5] if len(loc) > 5 else None) if check is not None else (loc[3] if len(loc) > 3 else None)
    key = f"availability.services[{index}]" + (f".checks[{check}]" if check is not None else "")
    key += f".{field}" if field else ""
    return ConfigError(path, message, key=key, line=table_line(text, index, check, field))


def _auth_error(path: Path, text: str, loc: list[str], first: dict) -> ConfigError:
    """[auth.ldap] and its nested tables; a whole-table check (value_error) names the table's line."""
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown key (check its spelling and section)"
    elif first["type"] not in ("missing", "value_error"):
        message = f"{message} (got {first['input']!r})"
    return ConfigError(path, message, key=".".join(loc), line=nested_key_line(text, loc))


def _resolve(settings: Settings, base: Path, source: Path) -> Settings:
    var_dir = _absolute(settings.paths.var_dir, base)
    url = settings.database_url
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////") and url != "sqlite:///:memory:":
        url = "sqlite:///" + str(_absolute(Path(url[len("sqlite:///"):]), base))
    return settings.model_copy(
        update={
            "paths": settings.paths.model_copy(update={"var_dir": var_dir}),
            "backup": settings.backup.model_copy(update={
                "folder": _absolute(settings.backup.folder, base) if settings.backup.folder else var_dir / "backups"}),
            "database": settings.database.model_copy(update={"url": SecretStr(url)}),
            "inventory": settings.inventory.model_copy(update={"path": _absolute(settings.inventory.path, base)}),
            "agent": resolve_paths(settings.agent, base),
            "devices": [d.model_copy(update={"ca_file": _absolute(d.ca_file, base)}) if d.ca_file else d
                        for d in settings.devices],
            "endpoints": settings.endpoints.model_copy(update={"ca_file": _absolute(settings.endpoints.ca_file, base)})
            if settings.endpoints.ca_file else settings.endpoints,
            "jobs": settings.jobs.model_copy(update={
                "playbooks_dir": _absolute(settings.jobs.playbooks_dir, base),
                "private_data_dir": _absolute(settings.jobs.private_data_dir, base)}),
            "rules": settings.rules.resolved(base),
            "alerts": settings.alerts.model_copy(
                update={"eve_files": [_absolute(path, base) for path in settings.alerts.eve_files]}),
            "compliance": _compliance_paths(settings.compliance, base),
            "auth": settings.auth.resolved(base),
            "notify": settings.notify.model_copy(update={"channels": [
                c.model_copy(update={"ca_file": _absolute(c.ca_file, base)}) if c.ca_file else c
                for c in settings.notify.channels]}),
            "availability": settings.availability.resolved(base),
            "source": source,
        }
    )


def _compliance_paths(section: ComplianceSettings, base: Path) -> ComplianceSettings:
    controls = _absolute(section.controls_dir, base) if section.controls_dir else None
    return section.model_copy(update={"controls_dir": controls, "report_dir": _absolute(section.report_dir, base)})


def _absolute(path: Path, base: Path) -> Path:
    return path if path.is_absolute() else (base / path).resolve()


def ensure_secret_key(settings: Settings) -> str:
    """The configured secret key, or one generated once into var/secret_key (mode 0600)."""
    if settings.secret_key:
        return settings.secret_key
    key_file = settings.paths.var_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = key_file.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(48))
    os.replace(tmp, key_file)
    return key_file.read_text().strip()
