"""Kaspersky (KESL), Microsoft Defender and Windows Security Center, from replayed command output.

These products cannot run here. The files in data/antivirus/ replay the
formats their vendors document: `kesl-control --app-info` / `--get-task-list`
as shown in Kaspersky's KESL help, `Get-MpComputerStatus | ConvertTo-Json` in
Windows PowerShell 5.1's date form, and SecurityCenter2 AntiVirusProduct
instances; product names, versions and dates in them are made up.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from probes.collectors.antivirus import AntivirusCollector, providers_for
from probes.collectors.antivirus.kesl import KeslProvider
from probes.collectors.antivirus.windows import DefenderProvider, WscProvider, decode_product
from probes.report import Antivirus

DATA = Path(__file__).parent / "data" / "antivirus"


def replay(outputs: dict[str, str], returncode: int = 0):
    """A command runner that answers from recorded files, keyed by the command's last argument."""

    def run(command, **kwargs):
        key = command[-1] if command[-1] in outputs else "*"
        if key not in outputs:
            raise FileNotFoundError(command[0])
        return subprocess.CompletedProcess(command, returncode, stdout=(DATA / outputs[key]).read_text(), stderr="")

    return run


def collect(provider) -> dict:
    status = AntivirusCollector([provider]).collect()[0]
    if "error" not in status:
        Antivirus.model_validate(status)
    return status


def test_kesl_with_real_time_protection_on():
    status = collect(KeslProvider(run=replay({"--app-info": "kesl-app-info.txt", "--get-task-list": "kesl-tasks-on.txt"})))
    assert (status["installed"], status["running"], status["realtime_protection"]) == (True, True, True)
    assert status["engine_version"] == "12.1.0.1297"
    assert status["signature_date"].startswith("2026-11-24T21:14:00")
    assert status["last_scan_at"].startswith("2026-11-22T01:00:12")


def test_kesl_with_real_time_protection_stopped():
    status = collect(KeslProvider(run=replay({"--app-info": "kesl-app-info.txt", "--get-task-list": "kesl-tasks-off.txt"})))
    assert status["realtime_protection"] is False


def test_kesl_not_installed():
    status = collect(KeslProvider(run=replay({})))
    assert status["installed"] is False


def test_kesl_unreadable_date_names_the_key(tmp_path):
    def run(command, **kwargs):
        text = "Last release date of databases: yesterday-ish\n" if command[-1] == "--app-info" else ""
        return subprocess.CompletedProcess(command, 0, stdout=text, stderr="")

    status = collect(KeslProvider(run=run))
    assert "last release date of databases" in status["error"]


def test_defender_with_real_time_protection_on():
    status = collect(DefenderProvider(run=replay({"*": "defender-ps51.json"})))
    assert (status["running"], status["realtime_protection"]) == (True, True)
    assert status["signature_version"] == "1.421.1503.0"
    assert status["signature_date"] == "2025-11-24T23:00:00+00:00"
    assert status["last_scan_at"] == "2025-11-23T07:00:00+00:00"


def test_defender_with_real_time_protection_off():
    assert collect(DefenderProvider(run=replay({"*": "defender-realtime-off.json"})))["realtime_protection"] is False


def test_defender_wrong_type_names_the_field():
    status = collect(DefenderProvider(run=replay({"*": "defender-wrong-type.json"})))
    assert "AntivirusEnabled" in status["error"]


def test_security_center_prefers_the_enabled_product():
    status = collect(WscProvider(run=replay({"*": "wsc-two-products.json"})))
    assert status["product"] == "Kaspersky Endpoint Security for Windows"
    assert status["realtime_protection"] is True and status["signatures_up_to_date"] is True
    assert [p["enabled"] for p in status["products"]] == [False, True]


@pytest.mark.parametrize("state, enabled, up_to_date", [(397568, True, True), (393472, False, True),
                                                         (397584, True, False), (262144, False, True)])
def test_product_state_bits(state, enabled, up_to_date):
    decoded = decode_product({"displayName": "x", "productState": state})
    assert (decoded["enabled"], decoded["up_to_date"]) == (enabled, up_to_date)


def test_product_state_of_the_wrong_type_names_the_field():
    status = collect(WscProvider(run=lambda command, **kw: subprocess.CompletedProcess(
        command, 0, stdout='{"displayName": "x", "productState": "on"}', stderr="")))
    assert "productState" in status["error"]


def test_inventory_provider_names_choose_the_providers():
    assert [p.name for p in providers_for("clamav")] == ["clamav"]
    assert [p.name for p in providers_for("kesl")] == ["kesl"]
    assert [p.name for p in providers_for("defender")] == ["defender", "wsc"]
