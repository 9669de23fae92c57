"""`ops rules update` and a rule the parser refuses (issue 29 defect 6).

A rule refused for its content (longer than 64 KiB, a syntax error) fails the update, exit 4, no version, unless
`--allow-refused`; the version made then records what it was built without (CLI, API, version page). A line
that is not UTF-8 is left out as suricata-update leaves it out, and the update goes on (docs/rules.md).
"""

from __future__ import annotations

import pytest

from console.access import tokens
from console.models.rules import RulesetVersion
from console.ruleset import service
from tests.console.cli.test_cli import ops

LONG_RULE = ('alert tcp any any -> any 80 (msg:"huge"; content:"' + "a" * 70_000 + '"; sid:9100902; rev:1;)\n')
FINE_RULE = 'alert tcp any any -> any 80 (msg:"fine new rule"; content:"abc"; sid:9100901; rev:1;)\n'


@pytest.fixture
def rules_toml(config_file, rules_config):
    """The test console's ops.toml with [rules] pointing at this test's rule folders."""
    keys = ("sources_file", "policy_dir", "threshold_file", "local_dir", "tests_dir", "var_dir", "suricata_yaml")
    lines = [f'{key} = "{getattr(rules_config, key)}"' for key in keys]
    config_file.write_text(config_file.read_text() + "[rules]\n" + "\n".join(lines) + "\n")
    assert ops("db", "upgrade", config=config_file).returncode == 0
    return config_file


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_update_with_a_refused_rule_exits_4_and_makes_no_version(rules_toml, rules_config, session_factory):
    (rules_config.local_dir / "big.rules").write_text(FINE_RULE + LONG_RULE)
    result = ops("rules", "update", config=rules_toml)
    assert result.returncode == 4, result.stdout + result.stderr
    assert "local/big.rules:2: sid 9100902: rule longer than 65536 characters" in result.stderr
    assert "--allow-refused" in result.stderr
    with session_factory() as session:
        assert service.list_versions(session) == []

    allowed = ops("rules", "update", "--allow-refused", config=rules_toml)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    with session_factory() as session:
        row = session.query(RulesetVersion).one()
        assert [(e["file"], e["line"], e["sid"], e["kind"]) for e in row.left_out] == [
            ("local/big.rules", 2, 9100902, "refused")]
    listed = ops("rules", "left-out", "1", config=rules_toml)
    assert "refused  local/big.rules:2 sid 9100902: rule longer than 65536 characters" in listed.stdout

    # the refusal was allowed once: a later build (a suppression, the scheduled update) is not refused for it
    again = ops("rules", "update", config=rules_toml)
    assert again.returncode == 0, again.stdout + again.stderr


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_update_leaves_out_a_line_that_is_not_utf8_as_suricata_update_does(rules_toml, rules_config,
                                                                            session_factory):
    (rules_config.local_dir / "latin1.rules").write_bytes(
        FINE_RULE.encode() + 'alert tcp any any -> any 80 (msg:"caf\xe9"; sid:9100903; rev:1;)\n'.encode("latin-1"))
    result = ops("rules", "update", config=rules_toml)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "local/latin1.rules:2: sid 9100903: not UTF-8 text (byte 0xe9 at column 38); line left out" in result.stderr
    with session_factory() as session:
        row = session.query(RulesetVersion).one()
        assert [(e["sid"], e["kind"]) for e in row.left_out] == [(9100903, "encoding")]


def test_version_page_and_api_list_what_was_left_out(app, client, session, admin_actor, rules_config, make_user):
    from tests.conftest import login

    (rules_config.local_dir / "big.rules").write_text(FINE_RULE + LONG_RULE)
    refused = service.build_version(session, admin_actor, config=rules_config)
    assert not refused.ok and any("9100902" in m for m in refused.messages)
    outcome = service.build_version(session, admin_actor, config=rules_config, allow_refused=True)
    session.commit()
    assert outcome.ok
    make_user("boss", role="admin")
    login(client, "boss")
    page = client.get(f"/rules/versions/{outcome.version_number}").get_data(as_text=True)
    assert 'data-testid="left-out"' in page and "local/big.rules" in page and "9100902" in page
    _row, token = tokens.create_token(session, admin_actor, "test", None, 1, owner="boss")
    session.commit()
    answer = client.get(f"/api/v1/rules/versions/{outcome.version_number}",
                        headers={"Authorization": f"Bearer {token}"}).get_json()["data"]
    assert [(e["sid"], e["kind"]) for e in answer["left_out"]] == [(9100902, "refused")]
