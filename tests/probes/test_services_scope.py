"""[agent] services_scope: "all" counts every process of the machine, "netns" only those in the agent's network namespace.

Real processes in a real network namespace (`ip netns`), the collectors run inside it, as on a lab host.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from probes.collectors.health import same_network_namespace
from probes.config import AgentConfigError, AgentSettingError, agent_settings_from, load_agent_settings
from tests.fixtures.processes import stop

ROOT = Path(__file__).resolve().parents[2]
COLLECT = """
import json, sys
from probes.collectors.health import HealthCollector
from probes.collectors.antivirus.clamav import ClamavProvider
scope = sys.argv[1]
services = HealthCollector(["ops-scope-probe"], cpu_interval=0, services_scope=scope)._services()
clamonacc = ClamavProvider(socket_path="/nonexistent.sock", services_scope=scope).status()["realtime_protection"]
print(json.dumps({"running": services[0]["running"], "clamonacc": clamonacc}))
"""


@pytest.fixture
def namespace():
    name = f"ops-scope-{uuid.uuid4().hex[:6]}"
    subprocess.run(["ip", "netns", "add", name], check=True, timeout=30)
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=False, timeout=30)


@pytest.fixture
def programs(tmp_path) -> dict[str, Path]:
    """`sleep` copied under the names the collectors look for (a process's name is its program's file name)."""
    found = {}
    for name in ("ops-scope-probe", "clamonacc"):
        found[name] = tmp_path / name
        shutil.copy("/bin/sleep", found[name])
    return found


def collect_in(namespace: str, scope: str) -> dict:
    done = subprocess.run(["ip", "netns", "exec", namespace, sys.executable, "-c", COLLECT, scope], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


def test_processes_outside_the_namespace_count_for_all_but_not_for_netns(namespace, programs):
    outside = [subprocess.Popen([str(programs[name]), "60"]) for name in programs]
    try:
        assert collect_in(namespace, "all") == {"running": True, "clamonacc": True}
        assert collect_in(namespace, "netns") == {"running": False, "clamonacc": False}
    finally:
        for process in outside:
            stop(process)


def test_processes_inside_the_namespace_count_for_netns(namespace, programs):
    inside = [subprocess.Popen(["ip", "netns", "exec", namespace, str(programs[name]), "60"]) for name in programs]
    try:
        assert collect_in(namespace, "netns") == {"running": True, "clamonacc": True}
    finally:
        for process in inside:
            stop(process)


def test_a_process_that_cannot_be_read_is_not_counted(tmp_path):
    assert same_network_namespace(2**22 + 12345) is False
    assert same_network_namespace(1, proc=tmp_path) is False


def test_services_scope_setting_is_checked():
    assert agent_settings_from({}).services_scope == "all"
    assert agent_settings_from({"services_scope": "netns"}).services_scope == "netns"
    with pytest.raises(AgentSettingError) as raised:
        agent_settings_from({"services_scope": "namespace"})
    assert raised.value.key == "services_scope" and "all or netns" in str(raised.value)


def test_lynis_groups_setting_is_checked_and_names_the_key(tmp_path):
    assert agent_settings_from({}).lynis_groups == []
    assert agent_settings_from({"lynis_groups": ["ssh", "kernel_hardening"]}).lynis_groups == ["ssh", "kernel_hardening"]
    for bad, words in ((["ssh; rm -rf /"], "is not a Lynis group name"), ("ssh", "must be a list of strings"),
                       ([f"g{n}" for n in range(65)], "at most 64 groups")):
        with pytest.raises(AgentSettingError) as raised:
            agent_settings_from({"lynis_groups": bad})
        assert raised.value.key == "lynis_groups" and words in str(raised.value)
    config = tmp_path / "ops.toml"
    config.write_text('[agent]\nlynis_groups = ["SSH"]\n')
    with pytest.raises(AgentConfigError, match=r"ops.toml: \[agent\] lynis_groups: 'SSH' is not a Lynis group name"):
        load_agent_settings(config)
