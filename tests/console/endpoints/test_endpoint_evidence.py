"""The compliance evidence of endpoints, and the controls docs/endpoints.md proposes evaluated on it."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from console.compliance.conditions import compile_condition
from console.compliance.evidence import endpoints as evidence
from console.endpoints import service
from console.models.base import utcnow

DOC = Path(__file__).resolve().parents[3] / "docs" / "endpoints.md"


def proposed_controls() -> dict:
    block = re.search(r"```yaml\n(.*?)```", DOC.read_text(), re.S).group(1)
    return {item["id"]: item for item in yaml.safe_load("controls:\n" + block)["controls"]}


def judge(control: dict, snapshot: dict):
    return compile_condition(control["condition"])(snapshot, utcnow())[0]


def test_without_a_complete_sync_every_target_is_unknown_with_the_reason(session, ksc_settings, ksc_replay,
                                                                         monkeypatch):
    monkeypatch.setenv("TEST_KSC_PASSWORD", "wrong")
    service.sync(session, ksc_settings)
    targets, found = evidence.load(session, ksc_settings)
    assert [target.name for target in targets] == ["endpoint-coverage"]
    assert found["endpoint-coverage"].snapshot is None
    assert "no complete KSC sync yet (last attempt: KSC 127.0.0.1" in found["endpoint-coverage"].reason


def test_the_controls_pass_and_fail_on_the_evidence(session, ksc_settings, ksc_replay, synced):
    hosts = ksc_replay.estate.hosts
    hosts[4]["KLHST_WKS_RTP_STATE"] = 1
    service.sync(session, ksc_settings)
    targets, found = evidence.load(session, ksc_settings)
    controls = proposed_controls()
    assert set(controls) == {"EP-KSC-01", "EP-KSC-02", "EP-KSC-03", "EP-KSC-04"}
    assert {target.device_kind for target in targets} == {"endpoint_coverage", "endpoint"}
    figure = found["endpoint-coverage"].snapshot
    assert judge(controls["EP-KSC-01"], figure) is False  # dtnmt-bak-01 is not in KSC, one has protection off
    assert "dtnmt-bak-01 (no KSC)" in figure["missing"]
    off = found[f"endpoint:{hosts[4]['KLHST_WKS_DN']}"].snapshot
    assert judge(controls["EP-KSC-02"], off) is False
    web = found["endpoint:dtnmt-web-01"].snapshot
    assert judge(controls["EP-KSC-03"], web) is (web["state"] != "bases_old")
    assert judge(controls["EP-KSC-04"], web) is True


def test_the_proposed_mappings_cite_only_clauses_the_catalog_already_cites():
    catalog = Path(__file__).resolve().parents[3] / "console" / "compliance" / "controls"
    cited = set(re.findall(r"(PL I+ §[IVX.a-z0-9]+|\d\.\d\.\d\.\d)", "".join(p.read_text() for p in catalog.glob("*.yaml"))))
    # the repository's copy, which test_frameworks.py keeps equal to the shared page
    reference = Path(__file__).resolve().parents[3] / "docs" / "reference" / "vn-security-regulations.md"
    known = cited | set(re.findall(r"(PL I+ §[IVX.a-z0-9]+|\d\.\d\.\d\.\d)", reference.read_text()))
    for control in proposed_controls().values():
        for clauses in control["mappings"].values():
            assert set(clauses) <= known, clauses
