"""Lynis: a full host audit run now and then in the background, read from its report file.

Debian's `lynis audit system` takes tens of seconds of CPU, far longer than a
report interval, so the collector never waits for it. When a run is due
(`[agent] lynis_interval_hours`, kept across restarts in the state folder) it
starts one as a niced child in its own process group, with `--cronjob`
(no colours, no questions, no pauses), `--quiet` and its report and log
written into the agent's own state folder (`--report-file`, `--log-file`,
lynis(8)). Each later `collect()` looks whether it has ended: the first
report after it ends carries the results; every other report carries no
`lynis` section at all. A run that goes past its time limit is killed with its
whole process group (SIGTERM first, so that Lynis removes its PID file, then
SIGKILL) and reported as a collector failure. `[agent] lynis_groups` limits a run
to those test groups (`--tests-from-group`); the report then says which groups
the hardening index covers. Only one run at a time: Lynis
itself quits at once under `--cronjob` while its PID file
(/var/run/lynis.pid when root) names a live process, so the collector waits
for that run to end before it starts its own, and removes a PID file whose
process is gone (a run killed earlier would otherwise block every later one).

The results come from the report file's documented `key=value` lines
(`hardening_index=`, `warning[]=TEST-ID|text|details|solution|`,
`suggestion[]=...`, `lynis_version=`, `report_datetime_start/end=`, `test_group=`), never
from what Lynis prints. They are bounded: at most MAX_FINDINGS warnings and as
many suggestions, each text cut to MAX_TEXT characters; how many findings
were left out is said in `dropped_findings`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

from probes.collectors import CollectorFailed

LYNIS = "/usr/sbin/lynis"
NICE = "/usr/bin/nice"  # execs Lynis in place: the same process, the same group
MAX_FINDINGS = 100
MAX_TEXT = 300
MAX_ID = 32
MAX_GROUPS = 64
NICENESS = 19
STATE_FILE = "state.json"
PID_FILE = Path("/var/run/lynis.pid")
TERM_GRACE_SECONDS = 10
RETRY_SECONDS = 300  # a run that ended without a report is tried again this much later


class LynisCollector:
    name = "lynis"

    def __init__(self, state_dir: Path, interval_hours: int = 24, timeout_seconds: int = 1800, lynis: str = LYNIS,
                 clock=time.time, pid_file: Path = PID_FILE, starts_runs: bool = True, monotonic=time.monotonic,
                 groups: list[str] | tuple[str, ...] = ()):
        self.folder = Path(state_dir) / "lynis"
        self.pid_files = (Path(pid_file), self.folder / "lynis.pid")
        self.interval_seconds = interval_hours * 3600
        self.timeout_seconds = timeout_seconds
        self.lynis = lynis
        self.clock = clock
        self.monotonic = monotonic  # how long a run has taken (a test passes its own)
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0
        self.starts_runs = starts_runs  # False in a process that ends after one report (`ops agent once`)
        self.groups = tuple(groups)  # only these test groups ([agent] lynis_groups); empty: all of them

    @property
    def report_file(self) -> Path:
        return self.folder / "lynis-report.dat"

    @property
    def log_file(self) -> Path:
        return self.folder / "lynis.log"

    def collect(self) -> dict | None:
        """The results of a run that has just ended, else None (nothing to ship in this report)."""
        if self.process is not None:
            return self._poll()
        if not self.starts_runs or not self._due():
            return None
        if not Path(self.lynis).exists():
            self._remember_start()
            return {"installed": False}
        if self._other_run() is None:
            self._start()
        return None

    def _other_run(self) -> int | None:
        """The pid of a Lynis run that holds a PID file (not ours); stale PID files are removed."""
        for path in self.pid_files:
            try:
                pid = int(path.read_text().strip())
            except FileNotFoundError:
                continue
            except (OSError, ValueError):
                pid = 0
            if pid > 0 and _is_lynis(pid):
                return pid
            path.unlink(missing_ok=True)
        return None

    def running(self) -> bool:
        return self.process is not None

    def stop(self) -> None:
        """End a run in progress with its process group (the agent is stopping, or the run took too long)."""
        if self.process is None:
            return
        _signal_group(self.process, signal.SIGTERM)
        deadline = time.monotonic() + TERM_GRACE_SECONDS
        while self._reap(block=False) is None:
            if time.monotonic() > deadline:
                _signal_group(self.process, signal.SIGKILL)
                self._reap(block=True)
                break
            time.sleep(0.1)
        _signal_group(self.process, signal.SIGKILL)  # whatever Lynis started and left behind
        pid, self.process = self.process.pid, None
        self._remove_pid_files_of(pid)

    def _remove_pid_files_of(self, pid: int) -> None:
        for path in self.pid_files:
            try:
                if path.read_text().strip() == str(pid):
                    path.unlink()
            except (OSError, ValueError):
                pass

    def _due(self) -> bool:
        last = self._state().get("last_started_at")
        return not isinstance(last, (int, float)) or self.clock() - last >= self.interval_seconds

    def _state(self) -> dict:
        try:
            found = json.loads((self.folder / STATE_FILE).read_text())
        except (OSError, ValueError):
            return {}
        return found if isinstance(found, dict) else {}

    def _remember_start(self, moment: float | None = None) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.folder / f".{STATE_FILE}.tmp"
        tmp.write_text(json.dumps({"last_started_at": self.clock() if moment is None else moment}))
        os.replace(tmp, self.folder / STATE_FILE)

    def _retry_in(self, seconds: float) -> None:
        """Make the next run due in `seconds` rather than a whole interval after this failed one."""
        self._remember_start(self.clock() - self.interval_seconds + seconds)

    def _start(self) -> None:
        self._remember_start()
        for old in (self.report_file, self.log_file):
            old.unlink(missing_ok=True)  # never read a previous run's report as this one's
        argv = [NICE, "-n", str(NICENESS), self.lynis, "audit", "system", "--cronjob", "--quiet", "--no-colors",
                "--report-file", str(self.report_file), "--log-file", str(self.log_file)]
        if self.groups:
            argv += ["--tests-from-group", " ".join(self.groups)]
        try:
            self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL, cwd=self.folder, start_new_session=True)
        except OSError as exc:
            raise CollectorFailed(f"{self.lynis}: cannot start: {exc}") from None
        self.started_at = self.monotonic()

    def _poll(self) -> dict | None:
        ended = self._reap(block=False)
        if ended is None:
            if self.monotonic() - self.started_at <= self.timeout_seconds:
                return None
            self.stop()
            raise CollectorFailed(f"lynis ran longer than {self.timeout_seconds} s and was stopped")
        exit_code, cpu_seconds = ended
        self.process = None
        try:
            text = self.report_file.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            self._retry_in(RETRY_SECONDS)  # e.g. another Lynis started between our look and ours
            raise CollectorFailed(f"lynis ended ({exit_code}) without a report file: {exc}") from None
        section = parse_report(text)
        if section.get("finished_at") is None:
            raise CollectorFailed(f"lynis ended ({exit_code}) with an unfinished report {self.report_file}")
        section.update(exit_code=exit_code, cpu_seconds=round(cpu_seconds, 2),
                       duration_seconds=round(self.monotonic() - self.started_at, 1))
        return section

    def _reap(self, block: bool):
        """(exit code, CPU seconds of Lynis and the commands it waited for) once it has ended, else None."""
        try:
            pid, status, usage = os.wait4(self.process.pid, 0 if block else os.WNOHANG)
        except ChildProcessError:
            self.process.returncode = self.process.returncode if self.process.returncode is not None else -1
            return self.process.returncode, 0.0
        if pid == 0:
            return None
        self.process.returncode = os.waitstatus_to_exitcode(status)
        return self.process.returncode, usage.ru_utime + usage.ru_stime


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _is_lynis(pid: int) -> bool:
    """Whether `pid` is a live Lynis (its command line names lynis; any live process where /proc cannot tell)."""
    try:
        return b"lynis" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return not Path("/proc/self").exists()
    except OSError:
        return True


def parse_report(text: str) -> dict:
    """A Lynis report file (`key=value` lines, `key[]=value` for lists) into the report section.

    Pure: reads no file. Keys it does not use are ignored; a missing key stays None.
    """
    values: dict[str, str] = {}
    findings: dict[str, list[dict]] = {"warning": [], "suggestion": []}
    dropped = 0
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if not sep or line.startswith("#"):
            continue
        if key in ("warning[]", "suggestion[]"):
            kind = key[:-2]
            if len(findings[kind]) >= MAX_FINDINGS:
                dropped += 1
                continue
            findings[kind].append(_finding(value))
        else:
            values.setdefault(key, value)
    return {
        "installed": True,
        "lynis_version": values.get("lynis_version", "")[:32] or None,
        "started_at": _local_time(values.get("report_datetime_start")),
        "finished_at": _local_time(values.get("report_datetime_end")),
        "hardening_index": _number(values.get("hardening_index"), 0, 100),
        "tests_performed": _number(values.get("lynis_tests_done"), 0, 100000),
        "groups": _groups(values.get("test_group")),
        "warnings": findings["warning"],
        "suggestions": findings["suggestion"],
        "dropped_findings": dropped,
    }


def _groups(value: str | None) -> list[str]:
    """`test_group=` (the run's --tests-from-group, "all" for a full audit): the groups audited, [] for all."""
    names = (value or "").split()
    if names in ([], ["all"]):
        return []
    return [name[:MAX_ID] for name in names if name.replace("_", "").isalnum()][:MAX_GROUPS]


def _finding(value: str) -> dict:
    """`TEST-ID|text|details|solution|`; "-" means nothing in Lynis's fields."""
    parts = (value.split("|") + ["", "", "", ""])[:4]
    test_id, text, details, solution = (part.strip() for part in parts)
    clean = ["" if part == "-" else part[:MAX_TEXT] for part in (text, details, solution)]
    return {"test_id": "".join(c for c in test_id if c.isalnum() or c in "-_.")[:MAX_ID] or "UNKNOWN",
            "text": clean[0], "details": clean[1], "solution": clean[2]}


def _local_time(value: str | None) -> str | None:
    """Lynis writes `date "+%Y-%m-%d %H:%M:%S"` in the host's own zone; ISO 8601 with that zone."""
    if not value:
        return None
    try:
        moment = datetime.strptime(value.strip(), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    return moment.astimezone().astimezone(timezone.utc).isoformat()


def _number(value: str | None, low: int, high: int) -> int | None:
    if value is None or not value.strip().isdigit():
        return None
    number = int(value.strip())
    return number if low <= number <= high else None
