"""Benchmark: site.yml on a lab of SSH hosts, Ansible's defaults against the settings the project ships.

For each configuration, on a lab of fresh hosts (network namespaces with
their own sshd, `console.lab`), in the same run:
  1. the full site.yml, every role, first install (wall time and per-host time);
  2. a no-change re-run of the agent role (agent.yml) on the same hosts.
"defaults" is what Ansible does with no ansible.cfg, as the issue words it:
forks 5, no pipelining, no fact cache, and no SSH multiplexing
(ControlMaster=no; note stock Ansible does keep ControlPersist=60s).
"shipped" is playbooks/ansible.cfg. Both run through ansible-runner's
Python API against a real console on the lab's bridge, where the agents
enrol and report. Needs root.

    .venv/bin/python bench/provision_site.py [--hosts 27] [--skip-full] [--configs defaults,shipped]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.fixtures.lab import PLAYBOOKS, Lab, LabConsole  # noqa: E402

RUN_TIMEOUT_SECONDS = 3600
DEFAULTS_CFG = """[defaults]
roles_path = {roles}
host_key_checking = True
[ssh_connection]
ssh_args = -o ControlMaster=no
"""


def config_env(kind: str, scratch: Path) -> dict:
    if kind == "shipped":
        return {"ANSIBLE_CONFIG": str(PLAYBOOKS / "ansible.cfg")}
    cfg = scratch / "defaults.cfg"
    cfg.write_text(DEFAULTS_CFG.format(roles=PLAYBOOKS / "roles"))
    return {"ANSIBLE_CONFIG": str(cfg), "ANSIBLE_CACHE_PLUGIN": "memory"}


def per_host_seconds(events: list[dict]) -> dict[str, float]:
    """Per host: from its first task start to its last result, from the events' own times."""
    spans: dict[str, list[datetime]] = {}
    for event in events:
        host = event.get("event_data", {}).get("host")
        created = event.get("created")
        if host and created:
            spans.setdefault(host, []).append(datetime.fromisoformat(created))
    return {host: (max(times) - min(times)).total_seconds() for host, times in spans.items()}


def timed_run(lab: Lab, playbook: str, extravars: dict, env: dict) -> dict:
    started = time.perf_counter()
    result = lab.run_playbook(playbook, extravars, envvars=env, timeout=RUN_TIMEOUT_SECONDS)
    wall = time.perf_counter() - started
    hosts = per_host_seconds(result.events)
    if result.status == "timeout":
        raise SystemExit(f"{playbook} did not finish within {RUN_TIMEOUT_SECONDS} s")
    return {"status": result.status, "wall": wall, "per_host_mean": statistics.mean(hosts.values()) if hosts else 0,
            "per_host_max": max(hosts.values()) if hosts else 0, "changed": len(result.hosts_with("changed")),
            "failed": len(result.hosts_with("failures") | result.hosts_with("dark")), "hosts": len(hosts)}


def measure(kind: str, count: int, skip_full: bool, scratch: Path) -> dict[str, dict]:
    lab = Lab(count)
    console = None
    try:
        console = LabConsole(lab, Path(tempfile.mkdtemp(prefix="ops-bench-console-", dir=scratch)))
        env = config_env(kind, scratch)
        extravars = {"ops_console_url": console.url, "ops_agent_enrollment_token": console.enrollment_token(count)}
        figures = {}
        if skip_full:
            figures["agent role, first install"] = timed_run(lab, "agent.yml", extravars, env)
        else:
            figures["site.yml, first install"] = timed_run(lab, "site.yml", extravars, env)
        extravars["ops_agent_enrollment_token"] = ""
        figures["agent role, no change"] = timed_run(lab, "agent.yml", extravars, env)
        return figures
    finally:
        if console is not None:
            console.stop()
        lab.down()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=27)
    parser.add_argument("--skip-full", action="store_true", help="agent role only instead of the full site.yml")
    parser.add_argument("--configs", default="defaults,shipped", help="which settings to measure, in order")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="ops-bench-") as scratch:
        for kind in args.configs.split(","):
            print(f"measuring {kind} on {args.hosts} lab hosts ...", flush=True)
            results[kind] = measure(kind, args.hosts, args.skip_full, Path(scratch))
    print(f"\n{args.hosts} lab hosts; {time.strftime('%Y-%m-%d %H:%M')}")
    print("| run | settings | wall s | per-host mean s | per-host max s | changed hosts | failed | vs defaults |")
    print("|---|---|---|---|---|---|---|---|")
    first = next(iter(results))
    for run in results[first]:
        base = results[first][run]["wall"]
        for kind in results:
            row = results[kind][run]
            print(f"| {run} | {kind} | {row['wall']:.1f} | {row['per_host_mean']:.1f} | {row['per_host_max']:.1f} | "
                  f"{row['changed']}/{row['hosts']} | {row['failed']} | {base / row['wall']:.2f}x faster |")
    print(f"(ratios against {first})")


if __name__ == "__main__":
    main()
