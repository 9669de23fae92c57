"""Benchmark: the agent role (or all of site.yml) on a lab of SSH hosts, before and after issue 19's speed work.

For each configuration, on a lab of fresh hosts (network namespaces with
their own sshd, `console.lab`), in the same run:
  1. the whole site.yml, or with --skip-full only the agent role
     (agent.yml), first install (wall time and per-host time);
  2. a no-change re-run of the agent role (agent.yml) on the same hosts.
The configurations:
  "before"   the playbooks/ folder (role and ansible.cfg) as it was at git
             revision --before (default: the commit before the speed work),
             taken out with `git archive` into a temporary folder;
  "after"    the working tree's playbooks/ and its ansible.cfg ("shipped"
             is another name for it);
  "defaults" the working tree's playbooks/ with Ansible's defaults, as the
             provisioning issue words them: forks 5, no pipelining, no fact
             cache and no SSH multiplexing (ControlMaster=no; stock Ansible
             does keep ControlPersist=60s).
All run through ansible-runner's Python API against a real console on the
lab's bridge, where the agents enrol and report. Besides wall and per-host
time it reports the controller's CPU (ansible-playbook, its workers and
their ssh clients) and, with --profile, the slowest tasks of each run, from
the run's own events (what the profile_tasks callback of ansible.posix
prints: from a task's start to its last host's result). Needs root.

    .venv/bin/python bench/provision_site.py [--hosts 27] [--skip-full] [--configs before,after[,defaults]]
                                             [--before REV] [--profile]
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.fixtures.lab import PLAYBOOKS, Lab, LabConsole  # noqa: E402

RUN_TIMEOUT_SECONDS = 3600
# The last commit before issue 19's speed work on the agent role and ansible.cfg.
BEFORE_REVISION = "a7d6ba8"
DEFAULTS_CFG = """[defaults]
roles_path = {roles}
host_key_checking = True
[ssh_connection]
ssh_args = -o ControlMaster=no
"""
PROFILE_TOP = 8


def playbooks_at(revision: str, scratch: Path) -> Path:
    """playbooks/ as it was at a git revision, in a folder of its own (read-only git: `git archive`)."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", revision, "playbooks"], capture_output=True,
                             check=True, timeout=60).stdout
    target = scratch / f"playbooks-{revision}"
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target / "playbooks"


def configuration(kind: str, scratch: Path, before: str) -> tuple[Path, dict]:
    """The playbooks folder and the environment of one configuration."""
    if kind == "before":
        folder = playbooks_at(before, scratch)
        return folder, {"ANSIBLE_CONFIG": str(folder / "ansible.cfg")}
    if kind in ("after", "shipped"):
        return PLAYBOOKS, {"ANSIBLE_CONFIG": str(PLAYBOOKS / "ansible.cfg")}
    if kind == "defaults":
        cfg = scratch / "defaults.cfg"
        cfg.write_text(DEFAULTS_CFG.format(roles=PLAYBOOKS / "roles"))
        return PLAYBOOKS, {"ANSIBLE_CONFIG": str(cfg), "ANSIBLE_CACHE_PLUGIN": "memory"}
    raise SystemExit(f"--configs: unknown configuration {kind!r} (before, after, defaults)")


def per_host_seconds(events: list[dict]) -> dict[str, float]:
    """Per host: from its first task start to its last result, from the events' own times."""
    spans: dict[str, list[datetime]] = {}
    for event in events:
        host = event.get("event_data", {}).get("host")
        created = event.get("created")
        if host and created:
            spans.setdefault(host, []).append(datetime.fromisoformat(created))
    return {host: (max(times) - min(times)).total_seconds() for host, times in spans.items()}


def task_seconds(events: list[dict]) -> list[tuple[float, str]]:
    """Per task (handlers too): from its start to the last host's result, slowest first."""
    started: dict[str, tuple[datetime, str]] = {}
    last: dict[str, datetime] = {}
    for event in events:
        data, created = event.get("event_data", {}), event.get("created")
        if not created or not data.get("task_uuid"):
            continue
        when = datetime.fromisoformat(created)
        if event.get("event") in ("playbook_on_task_start", "playbook_on_handler_task_start"):
            started[data["task_uuid"]] = (when, data.get("task", ""))
        elif event.get("event", "").startswith("runner_on_"):
            last[data["task_uuid"]] = max(when, last.get(data["task_uuid"], when))
    return sorted(((last[uuid] - begin).total_seconds(), name) for uuid, (begin, name) in started.items()
                  if uuid in last)[::-1]


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_run(lab: Lab, playbooks: Path, playbook: str, extravars: dict, env: dict) -> dict:
    cpu_before = children_cpu_seconds()
    started = time.perf_counter()
    result = lab.run_playbook(playbook, extravars, envvars=env, timeout=RUN_TIMEOUT_SECONDS, playbooks=playbooks)
    wall = time.perf_counter() - started
    hosts = per_host_seconds(result.events)
    if result.status == "timeout":
        raise SystemExit(f"{playbook} did not finish within {RUN_TIMEOUT_SECONDS} s")
    return {"status": result.status, "wall": wall, "per_host_mean": statistics.mean(hosts.values()) if hosts else 0,
            "per_host_max": max(hosts.values()) if hosts else 0, "changed": len(result.hosts_with("changed")),
            "failed": len(result.hosts_with("failures") | result.hosts_with("dark")), "hosts": len(hosts),
            "controller_cpu": children_cpu_seconds() - cpu_before, "tasks": task_seconds(result.events),
            "changed_tasks": sorted({task for _, task in result.changed_tasks()})}


def measure(kind: str, count: int, skip_full: bool, scratch: Path, before: str) -> dict[str, dict]:
    playbooks, env = configuration(kind, scratch, before)
    lab = Lab(count)
    console = None
    try:
        console = LabConsole(lab, Path(tempfile.mkdtemp(prefix="ops-bench-console-", dir=scratch)))
        extravars = {"ops_console_url": console.url, "ops_agent_enrollment_token": console.enrollment_token(count)}
        figures = {}
        if skip_full:
            figures["agent role, first install"] = timed_run(lab, playbooks, "agent.yml", extravars, env)
        else:
            figures["site.yml, first install"] = timed_run(lab, playbooks, "site.yml", extravars, env)
        extravars["ops_agent_enrollment_token"] = ""
        figures["agent role, no change"] = timed_run(lab, playbooks, "agent.yml", extravars, env)
        return figures
    finally:
        if console is not None:
            console.stop()
        lab.down()


def print_profile(results: dict[str, dict[str, dict]]) -> None:
    for kind, runs in results.items():
        for run, row in runs.items():
            print(f"\nslowest tasks, {run}, {kind} (s from the task's start to its last host's result):")
            for seconds, task in row["tasks"][:PROFILE_TOP]:
                print(f"  {seconds:7.1f}  {task}")
            if row["changed_tasks"] and "no change" in run:
                print(f"  changed: {', '.join(row['changed_tasks'])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=27)
    parser.add_argument("--skip-full", action="store_true", help="agent role only instead of the full site.yml")
    parser.add_argument("--configs", default="before,after", help="which configurations to measure, in order; "
                                                                  "ratios are against the first")
    parser.add_argument("--before", default=BEFORE_REVISION, help="git revision of the 'before' playbooks/")
    parser.add_argument("--profile", action="store_true", help="print each run's slowest tasks")
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("the lab makes network namespaces: run the benchmark as root")
    results = {}
    with tempfile.TemporaryDirectory(prefix="ops-bench-") as scratch:
        for kind in args.configs.split(","):
            print(f"measuring {kind} on {args.hosts} lab hosts ...", flush=True)
            results[kind] = measure(kind, args.hosts, args.skip_full, Path(scratch), args.before)
    print(f"\n{args.hosts} lab hosts; {time.strftime('%Y-%m-%d %H:%M')}; 'before' is playbooks/ at {args.before}")
    first = next(iter(results))
    print(f"| run | settings | wall s | per-host mean s | per-host max s | controller CPU s | changed hosts | failed "
          f"| wall / {first}'s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for run in results[first]:
        base = results[first][run]["wall"]
        for kind in results:
            row = results[kind][run]
            ratio = "-" if kind == first else f"{row['wall'] / base:.2f} ({first}/{kind} {base / row['wall']:.1f})"
            print(f"| {run} | {kind} | {row['wall']:.1f} | {row['per_host_mean']:.1f} | {row['per_host_max']:.1f} | "
                  f"{row['controller_cpu']:.1f} | {row['changed']}/{row['hosts']} | {row['failed']} | "
                  f"{ratio} |")
    if args.profile:
        print_profile(results)


if __name__ == "__main__":
    main()
