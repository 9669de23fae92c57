"""The ops_ids_sensor role's configuration per mode, rendered by Ansible and checked by Suricata and nft.

One ansible-playbook run renders the role's templates with its own defaults for three sensors: ids (a
mirror port), ips by af-packet (a bump in the wire between two interfaces, fails closed) and ips by
NFQUEUE (fails open). Each suricata.yaml is kept only if `suricata -T` accepts it, as the role's task does;
then the files say what the role's defaults promise.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "playbooks" / "roles" / "ops_ids_sensor"
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.external  # ansible-playbook and Suricata's -T check
SENSORS = {"mirror": {"ops_ids_mode": "ids", "ops_ids_interface": "ens5"},
           "wire": {"ops_ids_mode": "ips", "ops_ids_interface": "wan0", "ops_ids_ips_peer": "lan0"},
           "gateway": {"ops_ids_mode": "ips", "ops_ids_ips_method": "nfqueue"}}


def play(name: str, variables: dict, root: Path) -> dict:
    return {"name": f"Render the {name} sensor's files", "hosts": "localhost", "connection": "local",
            "gather_facts": False, "vars_files": [str(ROLE / "defaults" / "main.yml")],
            "vars": {**variables, "ops_install_root": str(root / name), "ops_manage_packages": False},
            "tasks": [
                {"name": "Make the ruleset files the role starts a sensor with",
                 "ansible.builtin.file": {"path": "{{ item }}", "state": "touch", "mode": "0644"},
                 "loop": ["{{ ops_ids_sensor_rule_dir }}/suricata.rules",
                          "{{ ops_ids_sensor_config_dir }}/threshold.config"]},
                {"name": "Write suricata.yaml, tested with suricata -T",
                 "ansible.builtin.template": {"src": str(ROLE / "templates" / "suricata.yaml.j2"),
                                              "dest": "{{ ops_ids_sensor_config_dir }}/suricata.yaml",
                                              "mode": "0640", "validate": "/usr/bin/suricata -T -c %s"}},
                {"name": "Write the unit's drop-in",
                 "ansible.builtin.template": {"src": str(ROLE / "templates" / "ops-offloads.conf.j2"),
                                              "dest": "{{ ops_install_root }}/ops-offloads.conf", "mode": "0644"}},
                # The role checks it with `nft -c`; this machine's kernel has no nft_queue (nft answers
                # "Could not process rule: No such file or directory"), so the test reads it as text.
                {"name": "Write the queue rule",
                 "ansible.builtin.template": {"src": str(ROLE / "templates" / "ops-ips.nft.j2"),
                                              "dest": "{{ ops_ids_sensor_nftables_file }}", "mode": "0644"},
                 "when": "ops_ids_sensor_mode == 'ips' and ops_ids_sensor_ips_method == 'nfqueue'"}]}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sensors")
    for name in SENSORS:
        for folder in ("etc/suricata", "var/lib/suricata/rules", "var/log/suricata", "etc/nftables.d"):
            (root / name / folder).mkdir(parents=True)
    playbook = root / "render.yml"
    playbook.write_text(yaml.safe_dump([play(name, variables, root) for name, variables in SENSORS.items()]))
    result = subprocess.run([str(BIN / "ansible-playbook"), "-i", "localhost,", str(playbook)], capture_output=True,
                            text=True, timeout=300, env={"PATH": f"{BIN}:/usr/sbin:/usr/bin:/bin",
                                                         "HOME": str(Path.home()), "LANG": "C.UTF-8"})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    return root


def suricata_yaml(root: Path, name: str) -> dict:
    return yaml.safe_load((root / name / "etc/suricata/suricata.yaml").read_text().split("---", 1)[1])


def test_an_ids_sensor_captures_one_interface_and_copies_nothing(rendered):
    config = suricata_yaml(rendered, "mirror")
    assert [(i["interface"], i.get("copy-mode")) for i in config["af-packet"]] == [("ens5", None)]
    assert "nfq" not in config
    assert "--af-packet=ens5" in (rendered / "mirror" / "ops-offloads.conf").read_text()


def test_an_af_packet_ips_sensor_copies_between_its_two_interfaces_with_offloads_off_on_both(rendered):
    config = suricata_yaml(rendered, "wire")
    assert [(i["interface"], i["copy-mode"], i["copy-iface"]) for i in config["af-packet"]] == \
        [("wan0", "ips", "lan0"), ("lan0", "ips", "wan0")]
    assert config["runmode"] == "workers"
    drop_in = (rendered / "wire" / "ops-offloads.conf").read_text()
    assert "ethtool --features wan0" in drop_in and "ethtool --features lan0" in drop_in
    assert "suricata.yaml --af-packet --pidfile" in drop_in
    assert "Fails closed" in (rendered / "wire" / "etc/suricata/suricata.yaml").read_text()


def test_an_nfqueue_ips_sensor_fails_open_and_queues_forwarded_packets_with_bypass(rendered):
    config = suricata_yaml(rendered, "gateway")
    assert config["nfq"] == {"mode": "accept", "fail-open": True}
    assert "af-packet" not in config
    assert "queue num 0 bypass" in (rendered / "gateway" / "etc/nftables.d/ops-ips.nft").read_text()
    assert "suricata.yaml -q 0 --pidfile" in (rendered / "gateway" / "ops-offloads.conf").read_text()
