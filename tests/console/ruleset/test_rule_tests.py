"""Rule tests: scapy-made pcaps through real Suricata, pass/fail per sid, JUnit XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from console.ruleset import operations as ops
from console.ruleset import service
from rules import testing
from rules.errors import RulesetError

FAILING_SPEC = """\
# Deliberately wrong: this traffic does not contain the admin path, so sid 9100001 cannot fire.
sid: 9100001
cases:
  - name: wrong traffic expected to alert
    expect: alert
    flow: {proto: tcp, client: 198.18.10.190, server: 198.18.10.20, port: 80}
    payloads:
      - {from: client, data: "GET /index.html HTTP/1.1\\r\\nHost: landdb.example\\r\\n\\r\\n"}
      - {from: server, data: "HTTP/1.1 200 OK\\r\\nContent-Length: 0\\r\\n\\r\\n"}
"""


def test_every_shipped_local_rule_has_a_test_and_all_pass(session, admin_actor, rules_config, tmp_path):
    assert service.build_version(session, admin_actor, config=rules_config).ok
    run = ops.run_tests(session, admin_actor, config=rules_config, junit_path=tmp_path / "junit.xml")
    tested = {r["sid"] for r in run.results}
    local = {int(line.split("sid:")[1].split(";")[0]) for line in
             (rules_config.local_dir / "department.rules").read_text().splitlines() if "sid:" in line}
    assert local <= tested
    assert run.failed == 0 and run.passed == len(run.results) >= 8
    # the EICAR rule is disabled by policy but its test still runs it
    assert any(r["sid"] == 9100003 and r["expect"] == "alert" and r["passed"] for r in run.results)


def test_one_passing_and_one_deliberately_failing_rule_test(session, admin_actor, rules_config, tmp_path):
    (rules_config.tests_dir / "zz-wrong.yaml").write_text(FAILING_SPEC)
    assert service.build_version(session, admin_actor, config=rules_config).ok
    run = ops.run_tests(session, admin_actor, config=rules_config, junit_path=tmp_path / "junit.xml")
    session.commit()
    wrong = [r for r in run.results if r["spec"] == "zz-wrong.yaml"]
    right = [r for r in run.results if r["spec"] == "9100001-landdb-admin.yaml"]
    assert [r["passed"] for r in wrong] == [False] and wrong[0]["alerts"] == 0
    assert all(r["passed"] for r in right)
    assert run.failed == 1
    suite = ET.parse(tmp_path / "junit.xml").getroot()
    assert suite.get("failures") == "1"
    failure = suite.find("testcase[@name='wrong traffic expected to alert']/failure")
    assert failure is not None and "sid 9100001: expected at least one alert, got 0" in failure.get("message")
    assert ops.latest_test_run(session).failed == 1


@pytest.mark.parametrize("spec, message", [
    ("sid: x\ncases: []\n", "expected 'sid'"),
    ("sid: 1\ncases:\n  - {expect: maybe}\n", "'expect' must be alert or no_alert"),
    ("sid: 1\ncases:\n  - {expect: alert, flow: {proto: icmp, client: 198.18.10.1, server: 198.18.10.2, port: 1}}\n",
     "flow.proto must be tcp or udp"),
    ("sid: 1\ncases: [\n", "not valid YAML"),
])
def test_bad_spec_names_file_and_problem(tmp_path, spec, message):
    (tmp_path / "bad.yaml").write_text(spec)
    with pytest.raises(RulesetError, match=message) as caught:
        testing.load_specs(tmp_path)
    assert "bad.yaml" in str(caught.value)
