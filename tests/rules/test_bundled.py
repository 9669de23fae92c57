"""Suricata's bundled rules as the source "suricata", and rules for what suricata.yaml turns off disabled."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from suricata.update import config as su_config
from suricata.update import main as su_main

from rules import build, bundled, protocols, sources, validate
from rules.errors import RulesetError
from rules.sources import Source

REPO = Path(__file__).resolve().parents[2]
SURICATA = Path("/usr/bin/suricata")


def bundled_dir(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "dist-rules"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def with_bundled(config, location: str, enabled: bool = True) -> None:
    sources.add_source(config.sources_file, Source("suricata", "suricata", location, enabled))


def yaml_with(config, tmp_path: Path, protocols_set: dict, tls: dict | None = None) -> Path:
    document = yaml.safe_load(config.suricata_yaml.read_text())
    document["app-layer"]["protocols"].update(protocols_set)
    if tls:
        document["app-layer"]["protocols"]["tls"].update(tls)
    path = tmp_path / "sensor.yaml"
    path.write_text("%YAML 1.1\n---\n" + yaml.safe_dump(document, sort_keys=False))
    return path


DIST = {
    "dnp3-events.rules": 'alert dnp3 any any -> any any (msg:"SURICATA DNP3 test"; app-layer-event:dnp3.flooded; '
                         'sid:2270000; rev:2;)\n',
    "smtp-events.rules": 'alert smtp any any -> any any (msg:"SURICATA SMTP one"; app-layer-event:smtp.invalid_reply; '
                         'sid:2220000; rev:1;)\n'
                         'alert smtp any any -> any any (msg:"SURICATA SMTP two"; '
                         'app-layer-event:smtp.unable_to_match_reply_with_request; sid:2220001; rev:1;)\n',
    "stream-events.rules": 'alert tcp any any -> any any (msg:"SURICATA STREAM test"; '
                           'stream-event:3whs_async_wrong_seq; sid:2210000; rev:2;)\n',
    "ftp-events.rules": 'alert ftp any any -> any any (msg:"SURICATA FTP not in suricata-update 1.3.3 list"; '
                        'app-layer-event:ftp.request_command_too_long; sid:2232000; rev:1;)\n',
}


def test_file_list_is_suricata_updates():
    listed = [c for c in su_main.load_dist_rules.__code__.co_consts if isinstance(c, str) and c.endswith(".rules")]
    if not listed:  # newer Pythons keep the list as one tuple constant
        listed = next(c for c in su_main.load_dist_rules.__code__.co_consts if isinstance(c, tuple))
    assert list(bundled.DIST_FILES) == list(listed)


def test_search_order_is_suricata_updates():
    # suricata-update's list before config.init amends it from `suricata --build-info`
    base = [Path(p) for p in su_config.DEFAULT_DIST_RULE_PATH if p not in ("/usr/share/suricata/rules",)]
    found = bundled.search_path(SURICATA)
    assert found[:2] == [Path("/usr/share/suricata/rules"), Path("/etc/suricata/rules")]  # datarootdir, sysconfdir
    assert [p for p in found if p in base] == list(dict.fromkeys(base))


def test_shipped_sources_file_has_the_bundled_source_enabled():
    shipped = {s.name: s for s in sources.read_sources(REPO / "rules" / "sources.yaml")}
    assert shipped["suricata"] == Source("suricata", "suricata", "", True)


def test_the_bundled_source_is_the_one_source_of_its_kind(rules_config):
    for wrong in (Source("suricata", "directory", "/tmp"), Source("dist", "suricata", ""),
                  Source("suricata", "suricata", "relative/dir")):
        with pytest.raises(RulesetError):
            sources.add_source(rules_config.sources_file, wrong)
    with_bundled(rules_config, "")
    sources.set_enabled(rules_config.sources_file, "suricata", False)
    assert sources.read_sources(rules_config.sources_file) == [Source("suricata", "suricata", "", False)]


def test_bundled_rules_are_read_and_counted(rules_config, tmp_path):
    with_bundled(rules_config, str(bundled_dir(tmp_path, DIST)))
    candidate = build.build(rules_config)
    by_sid = {r["sid"]: r for r in candidate.rules}
    assert by_sid[2210000]["file"] == "suricata/stream-events.rules" and by_sid[2210000]["enabled"]
    assert 2232000 not in by_sid  # suricata-update 1.3.3 does not read ftp-events.rules
    assert f"info: source suricata: 3 files of Suricata's bundled rules from {tmp_path / 'dist-rules'}" \
        in candidate.messages
    assert "info: 4 rules from source suricata (Suricata's bundled rules)" in candidate.messages


def test_disabled_bundled_source_is_not_read(rules_config, tmp_path):
    with_bundled(rules_config, str(bundled_dir(tmp_path, DIST)), enabled=False)
    candidate = build.build(rules_config)
    assert not any(r["source"] == "suricata" for r in candidate.rules)


def test_missing_directory_is_a_warning_and_the_build_goes_on(rules_config, tmp_path):
    with_bundled(rules_config, str(tmp_path / "no-such-dir"))
    candidate = build.build(rules_config)
    assert any(r["sid"] == 9100001 for r in candidate.rules)
    assert (f"warning: source suricata: Suricata's rules directory not found (looked in {tmp_path / 'no-such-dir'}); "
            "building without Suricata's bundled rules") in candidate.messages


def test_nothing_to_search_is_a_warning(monkeypatch, tmp_path):
    monkeypatch.setattr(bundled, "search_path", lambda suricata: [tmp_path / "a", tmp_path / "b"])
    files, messages = bundled.read("", SURICATA, 10**6)
    assert files == [] and f"looked in {tmp_path / 'a'}, {tmp_path / 'b'}" in messages[0]


def test_protocol_turned_off_disables_its_rules_with_one_message(rules_config, tmp_path):
    with_bundled(rules_config, str(bundled_dir(tmp_path, DIST)))
    sensor = yaml_with(rules_config, tmp_path, {"smtp": {"enabled": "no"}, "dnp3": {"enabled": "detection-only"},
                                                 "dns": {"tcp": {"enabled": "no"}}})
    config = rules_config.model_copy(update={"suricata": SURICATA, "suricata_yaml": sensor})
    candidate = build.build(config)
    enabled = {r["sid"]: r["enabled"] for r in candidate.rules}
    assert (enabled[2220000], enabled[2220001], enabled[2270000], enabled[2210000]) == (False, False, True, True)
    assert f"info: 2 rules disabled: app-layer protocol smtp is turned off in {sensor}" in candidate.messages
    assert not any("protocol dnp3" in m or "protocol dns" in m for m in candidate.messages)


def test_enable_conf_turns_a_rule_back_on_as_in_suricata_update(rules_config, tmp_path):
    with_bundled(rules_config, str(bundled_dir(tmp_path, DIST)))
    (rules_config.policy_dir / "enable.conf").write_text("2220001\n")
    sensor = yaml_with(rules_config, tmp_path, {"smtp": {"enabled": "no"}})
    candidate = build.build(rules_config.model_copy(update={"suricata": SURICATA, "suricata_yaml": sensor}))
    enabled = {r["sid"]: r["enabled"] for r in candidate.rules}
    assert (enabled[2220000], enabled[2220001]) == (False, True)


def test_modbus_dnp3_enip_unset_are_off_as_in_suricata(rules_config, tmp_path):
    with_bundled(rules_config, str(bundled_dir(tmp_path, DIST)))
    candidate = build.build(rules_config.model_copy(update={"suricata": SURICATA}))  # the fixture's yaml sets none
    assert not next(r for r in candidate.rules if r["sid"] == 2270000)["enabled"]
    assert (f"info: 1 rules disabled: app-layer protocol dnp3 is turned off in {rules_config.suricata_yaml} "
            "(not set there: Suricata leaves it off)") in candidate.messages


def test_ja3_rules_are_disabled_when_ja3_is_off(rules_config, tmp_path):
    (rules_config.local_dir / "ja3.rules").write_text(
        'alert tls any any -> any any (msg:"OPS ja3 test"; ja3.hash; content:"e7eca2baf4458d095b7f45da28c16c34"; '
        'sid:9100301; rev:1;)\n')
    on = build.build(rules_config.model_copy(update={"suricata": SURICATA}))
    assert next(r for r in on.rules if r["sid"] == 9100301)["enabled"]
    sensor = yaml_with(rules_config, tmp_path, {}, tls={"ja3-fingerprints": "no"})
    off = build.build(rules_config.model_copy(update={"suricata": SURICATA, "suricata_yaml": sensor}))
    assert not next(r for r in off.rules if r["sid"] == 9100301)["enabled"]
    assert f"info: 1 rules disabled: ja3 fingerprints are turned off in {sensor}" in off.messages


def test_unreadable_suricata_yaml_is_a_warning(rules_config, tmp_path):
    config = rules_config.model_copy(update={"suricata_yaml": tmp_path / "missing.yaml"})
    suriconf, messages = protocols.load(config.suricata, config.suricata_yaml)
    assert suriconf is None and "missing.yaml not found" in messages[0]


def test_installed_bundled_rules_pass_suricata_test_with_the_fixture_yaml(rules_config):
    """Suricata refuses modbus and dnp3 rules when the yaml does not enable them: they are disabled first."""
    with_bundled(rules_config, "")
    config = rules_config.model_copy(update={"suricata": SURICATA})
    candidate = build.build(config)
    assert any(m.startswith("info: ") and "rules from source suricata" in m for m in candidate.messages)
    verdict = validate.validate(SURICATA, config.suricata_yaml, candidate.folder, candidate.rules, 120)
    assert verdict.ok, verdict


def test_suricata_yaml_dump_is_reused_until_the_file_or_an_include_changes(tmp_path, monkeypatch):
    included = tmp_path / "app-layer.yaml"
    included.write_text("%YAML 1.1\n---\napp-layer:\n  protocols:\n    smtp:\n      enabled: no\n")
    sensor = tmp_path / "sensor.yaml"
    sensor.write_text("%YAML 1.1\n---\ninclude: app-layer.yaml\n")
    runs, real = [], protocols._load
    monkeypatch.setattr(protocols, "_load", lambda *a: runs.append(a) or real(*a))
    cache = {}
    first, _ = protocols.load(SURICATA, sensor, cache)
    assert "smtp" in protocols.protocols_off(first)
    assert protocols.load(SURICATA, sensor, cache)[0] is first and len(runs) == 1
    included.write_text("%YAML 1.1\n---\napp-layer:\n  protocols:\n    smtp:\n      enabled: yes\n")
    os.utime(included, ns=(1, 1))
    assert "smtp" not in protocols.protocols_off(protocols.load(SURICATA, sensor, cache)[0]) and len(runs) == 2
