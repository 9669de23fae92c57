"""Rules per sensor mode: an IPS sensor gets drop.conf's drops as drop rules, an IDS sensor as alert rules.

The version is built for real (suricata-update's drop filter, Suricata's check); the deploy goes through
`deploy_active`, with the local target swapped for one that keeps the files each sensor was sent (a real
reload is covered by test_deploy_live.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from console.ruleset import operations as ops
from console.ruleset import service
from console.errors import ConfigError
from console.settings import load_settings
from rules import deploy, modes, versions
from rules.build import RULES_FILE
from rules.config import SensorConfig

pytestmark = pytest.mark.sqlite_only  # the deploy's queries run on both databases in test_deploy_live.py


class KeepingTarget:
    sent: dict[str, str] = {}

    def __init__(self, sensor: SensorConfig):
        self.sensor = sensor

    def push(self, folder: Path, number: int) -> deploy.DeployResult:
        KeepingTarget.sent[self.sensor.name] = (folder / RULES_FILE).read_text()
        return deploy.DeployResult(self.sensor.name, number, True, 4, 0, [], "kept")


def test_an_ips_sensor_gets_drop_rules_and_an_ids_sensor_the_same_rules_as_alerts(
        session, admin_actor, rules_config, monkeypatch, tmp_path):
    (rules_config.policy_dir / "drop.conf").write_text("9100001\n")
    sensors = [SensorConfig(name="ids-mirror", mode="ids", rules_file=tmp_path / "a.rules"),
               SensorConfig(name="ips-inline", mode="ips", rules_file=tmp_path / "b.rules")]
    config = rules_config.model_copy(update={"sensors": sensors})
    assert service.build_version(session, admin_actor, config=config).ok
    assert (versions.folder(config.var_dir, 1) / "ids" / RULES_FILE).is_file()  # written with the version
    monkeypatch.setitem(deploy.TARGETS, "local", KeepingTarget)

    results = ops.deploy_active(session, admin_actor, config=config)

    assert [r.ok for r in results] == [True, True]
    ips, ids = KeepingTarget.sent["ips-inline"], KeepingTarget.sent["ids-mirror"]
    assert re.search(r"^drop http .*sid:9100001;", ips, re.MULTILINE)
    assert re.search(r"^alert http .*sid:9100001;", ids, re.MULTILINE)
    assert "drop " not in ids
    assert ids == ips.replace("drop http", "alert http")


def test_as_ids_turns_every_blocking_action_into_alert_and_keeps_disabled_rules_disabled():
    text = ('drop tcp any any -> any any (sid:1;)\n# reject tcp any any -> any any (sid:2;)\n'
            'alert http any any -> any any (msg:"drop me"; sid:3;)\npass ip any any -> any any (sid:4;)\n')
    assert modes.as_ids(text) == ('alert tcp any any -> any any (sid:1;)\n# alert tcp any any -> any any (sid:2;)\n'
                                  'alert http any any -> any any (msg:"drop me"; sid:3;)\n'
                                  'pass ip any any -> any any (sid:4;)\n')


def test_a_sensor_mode_other_than_ids_or_ips_is_refused_naming_the_field(config_file):
    config_file.write_text(config_file.read_text() +
                           '[rules]\nsensors = [{name = "edge", mode = "inline"}]\n')
    with pytest.raises(ConfigError) as refused:
        load_settings(config_file)
    assert "sensors" in str(refused.value) and "mode" in str(refused.value) and "'ids' or 'ips'" in str(refused.value)
