"""Pushing a ruleset version to the sensors and reloading Suricata without a restart.

A target kind knows how to put a version's files on a sensor and make Suricata
load them. "local" copies ops.rules and threshold.config over the sensor's
files on this machine (temp file + rename each), writes the version file the
agent reports, asks the running Suricata to `reload-rules` over its unix
command socket (suricatasc's protocol, through the agent's client), then reads
`ruleset-stats` and `ruleset-failed-rules`. If the reload cannot be asked for,
the sensor's previous files are put back.

Kind "ansible" (through the provisioning playbook's ids_sensor role, as a
job) needs the console's session and actor, so the console's service layer
builds it (console/ruleset/deploy_ansible.py). Other kinds plug in with
`register_target(kind, factory)`: the factory takes the SensorConfig and
returns an object with `push(folder, number) -> DeployResult`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

from probes.collectors import CollectorFailed
from probes.collectors.sensor import SuricataSocket
from rules.build import RULES_FILE, THRESHOLD_FILE
from rules.config import SensorConfig
from rules.errors import RulesetError
from rules.files import atomic_write

MAX_FAILED_LISTED = 50


@dataclass
class DeployResult:
    sensor: str
    version: int
    ok: bool
    rules_loaded: int | None = None
    rules_failed: int | None = None
    failed_rules: list[str] = field(default_factory=list)
    message: str = ""


class Target(Protocol):
    def push(self, folder: Path, number: int) -> DeployResult: ...


class LocalTarget:
    """A Suricata on this machine: its rule files and its command socket."""

    def __init__(self, sensor: SensorConfig):
        self.sensor = sensor

    def push(self, folder: Path, number: int) -> DeployResult:
        files = {self.sensor.rules_file: folder / RULES_FILE, self.sensor.threshold_file: folder / THRESHOLD_FILE,
                 self.sensor.version_file: None}
        previous = {path: path.read_bytes() if path.exists() else None for path in files}
        try:
            for path, source in files.items():
                atomic_write(path, source.read_bytes() if source else f"{number}\n".encode())
        except OSError as exc:
            self._restore(previous)
            return DeployResult(self.sensor.name, number, False, message=f"cannot write rule files: {exc}")
        try:
            return self._reload(number)
        except (CollectorFailed, OSError) as exc:
            self._restore(previous)
            return DeployResult(self.sensor.name, number, False,
                                message=f"reload failed, previous files restored: {exc}")

    def _reload(self, number: int) -> DeployResult:
        conn = SuricataSocket(self.sensor.socket, timeout=self.sensor.reload_timeout_seconds)
        try:
            conn.command("reload-rules")
            stats = conn.command("ruleset-stats")
            failed = conn.command("ruleset-failed-rules")
        finally:
            conn.close()
        loaded, failed_count = _counts(stats)
        listed = [str(entry.get("rule", entry))[:300] for entry in (failed or [])[:MAX_FAILED_LISTED]
                  if isinstance(entry, dict)]
        return DeployResult(self.sensor.name, number, True, loaded, failed_count, listed,
                            f"reloaded: {loaded} rules loaded, {failed_count} failed")

    @staticmethod
    def _restore(previous: dict) -> None:
        for path, content in previous.items():
            if content is None:
                path.unlink(missing_ok=True)
            else:
                atomic_write(path, content)


def _counts(stats) -> tuple[int, int]:
    entries = stats if isinstance(stats, list) else []
    loaded = sum(int(e.get("rules_loaded") or 0) for e in entries if isinstance(e, dict))
    failed = sum(int(e.get("rules_failed") or 0) for e in entries if isinstance(e, dict))
    return loaded, failed


TARGETS: dict[str, Callable[[SensorConfig], Target]] = {"local": LocalTarget}


def register_target(kind: str, factory: Callable[[SensorConfig], Target]) -> None:
    TARGETS[kind] = factory


def target_for(sensor: SensorConfig) -> Target:
    factory = TARGETS.get(sensor.kind)
    if factory is None:
        raise RulesetError(f"sensor {sensor.name}: no deploy target for kind {sensor.kind!r} here "
                           "(see docs/rules.md, 'Deploy')")
    return factory(sensor)
