"""The [rules] section of ops.toml: where the rule manager finds and keeps its files.

One definition, validated as part of the whole settings file by the console's
loader; tests build one pointing at temp folders. Relative paths are resolved
against ops.toml's folder (`resolved`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class SensorConfig(BaseModel):
    """One Suricata sensor the active ruleset is pushed to.

    kind "local": the rule files are copied to rules_file / threshold_file on
    this machine and Suricata is reloaded through its unix command socket.
    kind "ansible": `host` is an inventory host; the console runs `playbook`
    (site.yml) with --tags ids_sensor --limit host as a job, whose ids_sensor
    role copies the files (suricata -T first), reloads and reports the counts.

    mode "ids": Suricata watches a copy of the traffic (a mirror port); drop.conf's drop rules reach it as
    alert rules. mode "ips": Suricata is inline (af-packet copy-mode ips or NFQUEUE, the ops_ids_sensor
    role) and drop rules block.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    kind: Literal["local", "ansible"] = "local"
    mode: Literal["ids", "ips"] = "ids"
    # ips: how Suricata is inline, and so what traffic does when it stops. af-packet (copy-mode ips between
    # two interfaces) fails closed: traffic stops. nfqueue (nftables queue with bypass) fails open.
    ips_method: Literal["af-packet", "nfqueue"] = "af-packet"
    rules_file: Path = Path("/var/lib/suricata/rules/suricata.rules")
    threshold_file: Path = Path("/etc/suricata/threshold.config")
    socket: Path = Path("/run/suricata/suricata-command.socket")
    version_file: Path = Path("/var/lib/suricata/rules/ops-ruleset-version")
    host: str = Field("", max_length=253, pattern=r"^[A-Za-z0-9_.-]*$")
    playbook: str = Field("site.yml", pattern=r"^[A-Za-z0-9_.-]+\.ya?ml$")
    reload_timeout_seconds: float = Field(120, gt=0, le=3600)

    @model_validator(mode="after")
    def _ansible_needs_a_host(self) -> "SensorConfig":
        if self.kind == "ansible" and not self.host:
            raise ValueError(f"sensor {self.name}: kind \"ansible\" needs host (its inventory host name)")
        return self


class RulesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sources_file: Path = Path("rules/sources.yaml")
    policy_dir: Path = Path("rules/policy")
    threshold_file: Path = Path("rules/threshold.config")
    local_dir: Path = Path("rules/local")
    tests_dir: Path = Path("rules/tests")
    var_dir: Path = Path("var/rules")
    suricata: Path = Path("/usr/bin/suricata")
    suricata_yaml: Path = Path("/etc/suricata/suricata.yaml")
    test_home_net: str = "[198.18.10.0/25]"
    max_source_bytes: int = Field(256 * 1024 * 1024, ge=1024, le=2**34)
    validate_timeout_seconds: float = Field(600, gt=0, le=7200)
    # Local time (HH:MM) of the daily update of url sources by `ops scheduler run`; "" = none.
    update_at: str = Field("", pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9])?$")
    sensors: list[SensorConfig] = []
    # "Would have blocked": before a deploy to an IPS sensor, the stored alerts of this many days are
    # counted for the version's new or changed drop rules (console/ruleset/preview.py).
    would_block_days: int = Field(7, ge=1, le=365)
    # A group an IPS sensor blocked, of a rule added or changed in the last this many days, is told
    # (ids.blocked_young_rule): someone checks it is no false block.
    young_rule_days: int = Field(7, ge=1, le=365)
    # An IPS sensor whose kernel drops more than this share of packets (agent's report) is a critical event.
    ips_kernel_drop_percent_max: float = Field(1.0, ge=0, le=100)

    @field_validator("sensors")
    @classmethod
    def _unique_names(cls, value: list[SensorConfig]) -> list[SensorConfig]:
        names = [sensor.name for sensor in value]
        if len(names) != len(set(names)):
            raise ValueError("sensor names must be unique")
        return value

    def resolved(self, base: Path) -> "RulesConfig":
        """The same settings with every relative path made absolute against `base`."""
        update = {name: _absolute(getattr(self, name), base) for name in PATH_KEYS}
        sensors = [s.model_copy(update={k: _absolute(getattr(s, k), base) for k in SENSOR_PATH_KEYS})
                   for s in self.sensors]
        return self.model_copy(update={**update, "sensors": sensors})

    def sensor(self, name: str) -> SensorConfig | None:
        return next((s for s in self.sensors if s.name == name), None)


PATH_KEYS = ("sources_file", "policy_dir", "threshold_file", "local_dir", "tests_dir", "var_dir",
             "suricata", "suricata_yaml")
SENSOR_PATH_KEYS = ("rules_file", "threshold_file", "socket", "version_file")


def _absolute(path: Path, base: Path) -> Path:
    return path if path.is_absolute() else (base / path).resolve()
