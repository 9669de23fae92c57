"""The agent: enrol once, then collect, spool and send, forever.

Every report is spooled before it is sent, so a console that is down, slow
or answering 5xx loses nothing: the spool is flushed in order when it
answers again. The console stores each report id once, so sending a
report twice (after a timeout, say) is harmless.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from probes import __version__, signing
from probes.collectors.antivirus import AntivirusCollector, providers_for
from probes.collectors.antivirus.clamav import ClamavProvider
from probes.collectors.firewall import FirewallCollector
from probes.collectors.sshd import SshdCollector
from probes.collectors.health import HealthCollector
from probes.collectors.lynis import LynisCollector
from probes.collectors.packages import PackagesCollector
from probes.collectors.updates import UpdatesCollector
from probes.collectors.ups import UpsCollector
from probes.config import AgentSettings
from probes.errors import ProbeError
from probes.spool import Spool
from probes.transport import Connection, TransportError, signed_headers

log = logging.getLogger("ops.agent")
STATE_FILE, KEY_FILE = "agent.json", "agent.key"


class AgentError(ProbeError):
    """Enrolment or configuration problem the operator must fix."""


@dataclass
class AgentState:
    agent_id: str
    host: str
    console_url: str
    ca_file: str = ""
    pin_sha256: str = ""


def host_name(settings: AgentSettings) -> str:
    return settings.host_name or socket.gethostname()


def enroll(settings: AgentSettings, console_url: str, token: str, ca_file: str = "", pin_sha256: str = "") -> AgentState:
    """Exchange a one-time enrolment token for this host's own credential."""
    key = signing.new_private_key()
    conn = Connection(console_url, ca_file, pin_sha256, settings.request_timeout_seconds)
    body = json.dumps({"token": token, "host": host_name(settings), "public_key": signing.public_key_text(key),
                       "agent_version": __version__}).encode()
    try:
        answer = conn.post("/api/v1/agents/enroll", body)
    except TransportError as exc:
        raise AgentError(f"cannot reach the console: {exc}") from None
    if not answer.accepted:
        raise AgentError(f"enrolment refused ({answer.status}): {_first_error(answer.body)}")
    data = answer.body.get("data", {})
    state = AgentState(str(data["agent_id"]), data["host"], console_url, ca_file, pin_sha256)
    _save_state(settings.state_dir, state, signing.private_key_bytes(key))
    return state


def _first_error(body: dict) -> str:
    errors = body.get("errors") or [{}]
    return str(errors[0].get("message", body))[:300]


def _save_state(folder: Path, state: AgentState, key_pem: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name, data in ((KEY_FILE, key_pem), (STATE_FILE, json.dumps(asdict(state), indent=2).encode())):
        tmp = folder / f".{name}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, folder / name)


def load_state(folder: Path):
    """(state, private key) of an enrolled agent."""
    try:
        state = AgentState(**json.loads((folder / STATE_FILE).read_text()))
        key = signing.load_private_key((folder / KEY_FILE).read_bytes())
    except FileNotFoundError:
        raise AgentError(f"not enrolled: no {folder / STATE_FILE} (run ops agent enroll)") from None
    except (ValueError, TypeError) as exc:
        raise AgentError(f"{folder}: agent state unreadable: {exc}") from None
    return state, key


def build_collectors(settings: AgentSettings) -> list:
    """The collectors this host runs; each optional one only where it is configured.

    The Lynis collector starts runs only once `Agent.run_forever` allows it (`starts_runs`): a run
    outlives one collection, and `ops agent once` ends after one report.
    """
    collectors = [HealthCollector(settings.required_services, services_scope=settings.services_scope)]
    collectors.extend(_optional_collectors(settings))
    if settings.lynis_interval_hours:
        collectors.append(LynisCollector(settings.state_dir, settings.lynis_interval_hours,
                                         settings.lynis_timeout_minutes * 60, starts_runs=False,
                                         groups=settings.lynis_groups))
    return collectors


def _optional_collectors(settings: AgentSettings) -> list:
    found = []
    providers = providers_for(settings.antivirus_provider, clamd_socket=settings.clamd_socket)
    for provider in providers:  # clamonacc counts like the health services ([agent] services_scope)
        if isinstance(provider, ClamavProvider):
            provider.services_scope = settings.services_scope
    if providers:
        found.append(AntivirusCollector(providers))
    found.append(FirewallCollector())
    found.append(SshdCollector(settings.sshd_config))
    if settings.suricata_socket.exists() or settings.suricata_eve.exists():
        from probes.collectors.sensor import SensorCollector

        found.append(SensorCollector(settings.suricata_socket, settings.suricata_eve,
                                     settings.suricata_ruleset_version_file))
    if settings.ups:
        found.append(UpsCollector(settings.ups))
    if settings.updates_interval_minutes:
        found.append(UpdatesCollector(settings.state_dir, settings.updates_interval_minutes))
    if settings.packages_interval_minutes:
        found.append(PackagesCollector(settings.state_dir, settings.packages_interval_minutes))
    return found


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def collect_report(collectors: list, host: str, interval_seconds: int, now=_utc_now) -> dict:
    """One report; a collector that fails becomes an error entry, the rest still report.

    A collector with nothing new this time (Lynis between runs) returns None: its section is left out.
    now: the clock that stamps collected_at (a test's clock stands in for a wait).
    """
    report = {
        "schema_version": 1,
        "report_id": str(uuid.uuid4()),
        "host": host,
        "agent_version": __version__,
        "collected_at": now().isoformat(),
        "interval_seconds": interval_seconds,
        "errors": [],
    }
    for collector in collectors:
        try:
            section = collector.collect()
            if section is not None:
                report[collector.name] = section
        except Exception as exc:  # one broken collector must never stop the agent
            report["errors"].append({"collector": collector.name, "error": f"{type(exc).__name__}: {exc}"[:500]})
    return report


@dataclass
class FlushResult:
    sent: int = 0
    rejected: int = 0
    waiting: int = 0
    stopped_by: str = ""


def flush(spool: Spool, conn: Connection, state: AgentState, key, endpoint: str = "/api/v1/reports") -> FlushResult:
    """Send waiting reports oldest first; stop at the first that cannot be delivered now.

    409 means the console holds that data already (an EVE range sent twice): done, like 2xx.
    """
    result = FlushResult()
    for path in spool.pending():
        body = spool.read(path)
        try:
            answer = conn.post(endpoint, body, signed_headers(key, state.agent_id, body))
        except TransportError as exc:
            result.stopped_by = str(exc)
            break
        if answer.accepted or answer.status == 409:
            spool.done(path)
            result.sent += 1
        elif answer.status in (401, 403, 429):
            result.stopped_by = f"console answered {answer.status}: {_first_error(answer.body)}"
            break
        else:
            spool.reject(path, f"{answer.status}: {_first_error(answer.body)}")
            result.rejected += 1
    result.waiting = len(spool.pending())
    return result


class Agent:
    def __init__(self, settings: AgentSettings, collectors: list | None = None, clock=_utc_now):
        self.settings, self.clock = settings, clock
        self.state, self.key = load_state(settings.state_dir)
        self.collectors = collectors if collectors is not None else build_collectors(settings)
        self.spool = Spool(settings.state_dir / "spool", settings.spool_max_bytes)
        self.conn = Connection(self.state.console_url, self.state.ca_file, self.state.pin_sha256,
                               settings.request_timeout_seconds)
        self.eve = None
        if settings.ship_eve:
            from probes.eve_shipper import EveShipper

            self.eve = EveShipper(settings.suricata_eve, settings.state_dir, settings.spool_max_bytes)

    def run_once(self) -> FlushResult:
        report = collect_report(self.collectors, self.state.host, self.settings.interval_seconds, self.clock)
        self.spool.put(report["report_id"], json.dumps(report).encode())
        result = flush(self.spool, self.conn, self.state, self.key)
        if self.eve is not None and not result.stopped_by:
            self.ship_eve()
        return result

    def ship_eve(self) -> FlushResult:
        """Spool new EVE lines and send the EVE spool (after the report, so a report is never held up)."""
        from probes.eve_shipper import ENDPOINT

        self.eve.collect()
        outcome = flush(self.eve.spool, self.conn, self.state, self.key, ENDPOINT)
        if outcome.stopped_by:
            log.warning("%d EVE batches waiting: %s", outcome.waiting, outcome.stopped_by)
        return outcome

    def run_forever(self, should_stop=lambda: False) -> None:
        for collector in self.collectors:  # work that outlives a collection may start now (Lynis)
            if hasattr(collector, "starts_runs"):
                collector.starts_runs = True
        while not should_stop():
            started = time.monotonic()
            result = self.run_once()
            if result.stopped_by:
                log.warning("%d reports waiting: %s", result.waiting, result.stopped_by)
            deadline = started + self.settings.interval_seconds
            while not should_stop() and time.monotonic() < deadline:
                time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
        for collector in self.collectors:  # a Lynis run in progress dies with the agent
            if hasattr(collector, "stop"):
                collector.stop()
