"""Building a candidate from sources and policy, with suricata-update's parser and matchers."""

from __future__ import annotations

import pytest

from rules import build, policy, sources
from rules.errors import RulesetError
from rules.sources import Source
from tests.rules.conftest import make_tarball


def add_vendor(config, tarball):
    sources.add_source(config.sources_file, Source("vendor", "file", str(tarball)))


def by_sid(candidate):
    return {r["sid"]: r for r in candidate.rules}


def test_tarball_source_and_local_rules_build_a_candidate(rules_config, vendor_tarball):
    add_vendor(rules_config, vendor_tarball)
    candidate = build.build(rules_config)
    rules = by_sid(candidate)
    assert {2000001, 2000002, 2000101, 2000102, 2000103, 2000104, 9100001, 9100004} <= set(rules)
    assert rules[2000001]["file"] == "vendor/rules/vendor-web.rules" and rules[2000001]["line"] == 1
    assert rules[2000002]["enabled"] is False  # commented out in its source
    assert rules[9100003]["enabled"] is False  # disabled by the shipped policy
    text = candidate.rules_path.read_text()
    assert "# alert http any any -> any any (msg:\"OPS TEST EICAR" in text
    assert (rules_config.var_dir / "candidate").is_symlink()


def test_flowbit_setter_is_enabled_as_noalert(rules_config, vendor_tarball):
    add_vendor(rules_config, vendor_tarball)
    candidate = build.build(rules_config)
    setter = by_sid(candidate)[2000103]
    assert setter["enabled"] and setter["noalert"]
    assert any("1 rules enabled (noalert) for flowbits" in m for m in candidate.messages)


@pytest.mark.parametrize("line, sid, enabled", [
    ("2000002", 2000002, True),
    ("group:vendor-web", 2000002, True),
    ("filename:vendor/rules/vendor-web.rules", 2000002, True),
    ("msg:phpinfo", 2000002, True),
    ("classtype:attempted-recon", 2000002, True),
    ("metadata:signature_severity minor", 2000002, True),
    ("re:phpinfo\\.php", 2000002, True),
])
def test_enable_by_sid_group_file_msg_classtype_metadata_regex(rules_config, vendor_tarball, line, sid, enabled):
    add_vendor(rules_config, vendor_tarball)
    (rules_config.policy_dir / "enable.conf").write_text(line + "\n")
    assert by_sid(build.build(rules_config))[sid]["enabled"] is enabled


def test_disable_drop_and_modify(rules_config, vendor_tarball):
    add_vendor(rules_config, vendor_tarball)
    (rules_config.policy_dir / "disable.conf").write_text("classtype:web-application-attack\n")
    (rules_config.policy_dir / "drop.conf").write_text("2000102\n")
    (rules_config.policy_dir / "modify.conf").write_text('2000101 "flags:S,12" "flags:S"\n')
    candidate = build.build(rules_config)
    rules = by_sid(candidate)
    assert not rules[2000001]["enabled"] and not rules[9100001]["enabled"]
    assert rules[2000102]["action"] == "drop" and rules[2000102]["file"] == "vendor/rules/vendor-scan.rules"
    assert "flags:S;" in candidate.rules_path.read_text().split("sid:2000101")[0].rsplit("\n", 1)[-1]


def test_policy_line_matching_nothing_is_a_warning_with_file_and_line(rules_config):
    (rules_config.policy_dir / "disable.conf").write_text("# comment\n9100003\n7777777\n")
    candidate = build.build(rules_config)
    path = rules_config.policy_dir / "disable.conf"
    assert f"warning: {path}:3: policy line matches no rule: 7777777" in candidate.messages


def test_unreadable_policy_line_stops_the_build_naming_file_and_line(rules_config):
    (rules_config.policy_dir / "enable.conf").write_text("\nclasstype:\n")
    with pytest.raises(RulesetError, match=r"enable.conf:2: not a rule match"):
        build.build(rules_config)
    assert not (rules_config.var_dir / "candidate").exists()


def test_duplicate_sid_across_sources_keeps_higher_rev_and_names_both(rules_config, tmp_path):
    make_tarball(tmp_path / "other.tar.gz", {"other.rules": (
        'alert tcp any any -> any 22 (msg:"OTHER copy of ssh"; flow:to_server; sid:9100002; rev:7;)\n')})
    sources.add_source(rules_config.sources_file, Source("other", "file", str(tmp_path / "other.tar.gz")))
    candidate = build.build(rules_config)
    assert by_sid(candidate)[9100002]["file"] == "other/other.rules"
    message = next(m for m in candidate.messages if "duplicate sid" in m)
    assert "local/department.rules:4" in message and "other/other.rules:1" in message and "rev 7" in message


def test_non_utf8_and_syntax_errors_are_named_and_left_out(rules_config):
    (rules_config.local_dir / "broken.rules").write_bytes(
        b'alert tcp any any -> any 80 (msg:"caf\xe9 latin-1"; sid:9100101; rev:1;)\n'
        b'alert tcp any any -> any 80 (msg:"no closing paren"; sid:9100102; rev:1;\n'
        b'alert tcp any any -> any 80 (msg:"fine"; sid:9100103; rev:1;)\n')
    candidate = build.build(rules_config)
    assert "error: local/broken.rules:1: sid 9100101: not UTF-8 text (byte 0xe9 at column 38); line left out" \
        in candidate.messages
    assert any(m.startswith("error: local/broken.rules:2: sid 9100102: not a rule") for m in candidate.messages)
    assert 9100103 in by_sid(candidate) and 9100101 not in by_sid(candidate)


@pytest.mark.parametrize("content, expected", [
    (b"this is not an archive at all\n" * 10, "not a tar or zip archive and not a .rules file"),
    (None, "truncated or damaged archive"),
    ("empty", "the archive holds no .rules files"),
])
def test_bad_file_sources_give_clear_errors(rules_config, vendor_tarball, tmp_path, content, expected):
    path = tmp_path / "bad.tar.gz"
    if content is None:
        data = vendor_tarball.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif content == "empty":
        make_tarball(path, {"README": "no rules here"})
    else:
        path.write_bytes(content)
    sources.add_source(rules_config.sources_file, Source("bad", "file", str(path)))
    with pytest.raises(RulesetError, match=expected) as caught:
        build.build(rules_config)
    assert "source bad" in str(caught.value) and str(path) in str(caught.value)


def test_unreachable_url_source_names_the_source(rules_config):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sources.add_source(rules_config.sources_file, Source("down", "url", f"http://127.0.0.1:{port}/rules.tar.gz"))
    with pytest.raises(RulesetError, match=r"source down: cannot download"):
        build.build(rules_config)


def test_url_source_is_downloaded_and_reused_offline(rules_config, vendor_tarball):
    sources.add_source(rules_config.sources_file, Source("mirror", "url", f"file://{vendor_tarball}"))
    assert 2000001 in by_sid(build.build(rules_config))
    vendor_tarball.unlink()
    assert 2000001 in by_sid(build.build(rules_config, offline=True))


def test_sources_add_disable_remove_round_trip(rules_config, vendor_tarball):
    path = rules_config.sources_file
    sources.add_source(path, Source("vendor", "file", str(vendor_tarball)))
    with pytest.raises(RulesetError, match="exists already"):
        sources.add_source(path, Source("vendor", "file", str(vendor_tarball)))
    with pytest.raises(RulesetError, match="must be an absolute path"):
        sources.add_source(path, Source("rel", "file", "relative.tar.gz"))
    sources.set_enabled(path, "vendor", False)
    assert 2000001 not in by_sid(build.build(rules_config))
    sources.remove_source(path, "vendor")
    assert sources.read_sources(path) == []


def test_policy_text_check_names_line(rules_config):
    with pytest.raises(RulesetError, match=r"disable.conf:2: not a rule match"):
        policy.write_text(rules_config.policy_dir / "disable.conf", "disable", "9100001\nnot a matcher\n")
