"""KESL, Microsoft Defender and Windows Security Center, from replayed command output.

These products cannot run here, so a test double replays what they print.
The files in data/antivirus/ follow the documented or recorded real formats;
product names, versions and dates in them are made up:
- kesl-app-info.txt: the `kesl-control --app-info` layout of a real KESL 10
  SP1 output recorded in Checkmk's kaspersky_av_kesl_updates plugin.
- kesl-task-state-*.txt: `kesl-control --get-task-state 1`, "Key: value"
  lines with the states of KESL's help (support.kaspersky.com/KES4Linux/
  11.2.0, "--get-task-state": Started, Starting, Stopped, Stopping); the
  Russian "Состояние: Запущена" is what scripts written for KESL 12.2 check.
- defender-*.json: `Get-MpComputerStatus | Select-Object ... | ConvertTo-Json`
  with Windows PowerShell 5.1's "/Date(ms)/" dates and PowerShell 7's ISO ones.
- wsc-*.json: SecurityCenter2 AntiVirusProduct instances; productState
  values as listed publicly (0x061100 Defender on, 0x060100 Defender off,
  0x041000 third-party product on).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from probes.collectors.antivirus import AntivirusCollector, providers_for
from probes.collectors.antivirus.defender import DefenderProvider
from probes.collectors.antivirus.kesl import KeslProvider
from probes.collectors.antivirus.wsc import WscProvider, decode_product
from probes.report import Antivirus

DATA = Path(__file__).parent / "data" / "antivirus"
KESL_ON = {"--app-info": "kesl-app-info.txt", "--get-task-state 1": "kesl-task-state-on.txt"}


def replay(outputs: dict[str, str], returncode: int = 0, stderr: str = ""):
    """A command runner answering from recorded files, keyed by the command's arguments ("*" for any).

    A command with no recording behaves like a program that is not there.
    """

    def run(command, **kwargs):
        key = " ".join(command[1:])
        name = outputs.get(key, outputs.get("*"))
        if name is None:
            raise FileNotFoundError(command[0])
        text = (DATA / name).read_text(encoding="utf-8") if name.endswith((".txt", ".json")) else name
        return subprocess.CompletedProcess(command, returncode, stdout=text, stderr=stderr)

    return run


def collect(provider) -> dict:
    """The provider's entry as the agent reports it, validated against the report schema."""
    status = AntivirusCollector([provider]).collect()[0]
    Antivirus.model_validate(status)
    return status


@pytest.mark.parametrize("tasks, realtime", [("kesl-task-state-on.txt", True), ("kesl-task-state-off.txt", False),
                                             ("kesl-task-state-ru.txt", True)])
def test_kesl_reports_real_time_protection_from_task_1(tasks, realtime):
    status = collect(KeslProvider(run=replay({**KESL_ON, "--get-task-state 1": tasks})))
    assert (status["installed"], status["running"], status["realtime_protection"]) == (True, True, realtime)
    assert status["engine_version"] == "10.1.0.5960" and status["databases_loaded"] is True
    assert status["signature_date"].startswith("2026-11-24T21:14:00")
    assert status["last_scan_at"].startswith("2026-11-22T01:00:12")


def test_kesl_not_installed_is_reported_not_installed():
    assert collect(KeslProvider(run=replay({})))["installed"] is False


@pytest.mark.parametrize("outputs, named", [
    ({"--app-info": "Version: 12.1\nLast release date of databases: yesterday-ish\n"}, "Last release date of databases"),
    ({"--app-info": "\x00\x01 garbage \xff\n"}, "Last release date of databases: missing"),
    ({**KESL_ON, "--get-task-state 1": "Name: Scan_My_Computer\nState: Started\n"}, "Name: task 1 is 'Scan_My_Computer'"),
    ({**KESL_ON, "--get-task-state 1": "Nothing useful\n"}, "State: missing"),
])
def test_kesl_hostile_output_is_an_error_entry_naming_the_key(tmp_path, outputs, named):
    kesl_control = tmp_path / "kesl-control"
    kesl_control.touch()
    status = collect(KeslProvider(kesl_control=kesl_control, run=replay(outputs)))
    assert named in status["error"] and status["installed"] is True


def test_kesl_control_failing_is_an_error_entry_with_its_message():
    status = collect(KeslProvider(run=replay(KESL_ON, returncode=1, stderr="Failed to connect to the kesl service")))
    assert status["error"].endswith("kesl-control --app-info failed (1): Failed to connect to the kesl service")


@pytest.mark.parametrize("recording", ["defender-ps51.json", "defender-ps7.json"])
def test_defender_with_real_time_protection_on(recording):
    status = collect(DefenderProvider(run=replay({"*": recording})))
    assert (status["installed"], status["running"], status["realtime_protection"]) == (True, True, True)
    assert (status["engine_version"], status["signature_version"]) == ("1.1.24090.11", "1.421.1503.0")
    assert Antivirus.model_validate(status).signature_date.timestamp() == 1764025200


def test_defender_last_scan_is_the_later_of_full_and_quick():
    assert collect(DefenderProvider(run=replay({"*": "defender-ps51.json"})))["last_scan_at"] == "2025-11-23T07:00:00+00:00"
    assert collect(DefenderProvider(run=replay({"*": "defender-ps7.json"})))["last_scan_at"].startswith("2025-11-23T09:00:00")


def test_defender_with_real_time_protection_off():
    assert collect(DefenderProvider(run=replay({"*": "defender-realtime-off.json"})))["realtime_protection"] is False


def test_defender_without_powershell_is_not_installed():
    assert collect(DefenderProvider(run=replay({})))["installed"] is False


@pytest.mark.parametrize("stdout, named, answered", [
    ("defender-wrong-type.json", "AntivirusEnabled: expected true or false, got str 'yes'", True),
    ('{"AntivirusEnabled": true, "RealTimeProtectionEnabled": true}',
     "AMServiceEnabled: expected true or false, got nothing", True),
    ('{"AMServiceEnabled": true, "AntivirusEnabled": true, "RealTimeProtectionEnabled": true,'
     ' "AMEngineVersion": "1", "AntivirusSignatureVersion": "1", "AntivirusSignatureLastUpdated": 5}',
     "AntivirusSignatureLastUpdated: expected a date, got int '5'", True),
    ('[1, 2]', "expected one JSON object", True),
    ("<html>garbage", "output is not JSON", False),
])
def test_defender_hostile_json_is_an_error_entry_naming_the_field(stdout, named, answered):
    status = collect(DefenderProvider(run=replay({"*": stdout})))
    assert named in status["error"] and status["provider"] == "defender"
    assert status["installed"] is answered  # installed as far as known: Defender's cmdlet gave JSON


def test_security_center_reports_the_enabled_product():
    status = collect(WscProvider(run=replay({"*": "wsc-two-products.json"})))
    assert status["product"] == "Kaspersky Endpoint Security for Windows"
    assert (status["running"], status["realtime_protection"], status["signatures_up_to_date"]) == (True, True, True)
    assert [p["scanner"] for p in status["products"]] == ["off", "on"]


def test_security_center_single_product_out_of_date():
    status = collect(WscProvider(run=replay({"*": "wsc-one-out-of-date.json"})))
    assert status["product"] == "Windows Defender" and status["signatures_up_to_date"] is False


def test_security_center_missing_on_windows_server_is_not_installed():
    status = collect(WscProvider(run=replay({"*": "null"}, returncode=1, stderr="Get-CimInstance : Invalid namespace")))
    assert status["installed"] is False and "error" not in status


@pytest.mark.parametrize("state, scanner, up_to_date", [(0x061100, "on", True), (0x060100, "off", True),
                                                        (0x061110, "on", False), (0x063100, "expired", True)])
def test_product_state_bytes(state, scanner, up_to_date):
    decoded = decode_product({"displayName": "x", "productState": state})
    assert (decoded["scanner"], decoded["enabled"], decoded["up_to_date"]) == (scanner, scanner == "on", up_to_date)


@pytest.mark.parametrize("stdout, named", [
    ('{"displayName": "x", "productState": "on"}', "productState"),
    ('{"displayName": "x", "productState": true}', "productState"),
    ('{"displayName": 7, "productState": 266240}', "displayName: expected text, got int '7'"),
    ('{"displayName": "x"}', "productState"),
    ('["just text"]', "AntiVirusProduct: expected a JSON object, got str"),
    ("\x00garbage", "output is not JSON"),
])
def test_security_center_hostile_json_is_an_error_entry_naming_the_field(stdout, named):
    status = collect(WscProvider(run=replay({"*": stdout})))
    assert named in status["error"] and status["provider"] == "wsc"


def test_inventory_provider_names_choose_the_providers():
    assert [p.name for p in providers_for("clamav", clamd_socket=Path("/x.sock"))] == ["clamav"]
    assert [p.name for p in providers_for("kesl", clamd_socket=Path("/x.sock"))] == ["kesl"]
    assert [p.name for p in providers_for("defender")] == ["defender", "wsc"]
    assert [p.name for p in providers_for("wsc")] == ["wsc"] and providers_for("none") == []
    with pytest.raises(ValueError, match="unknown antivirus provider 'eset'"):
        providers_for("eset")


def test_one_broken_provider_does_not_hide_the_others():
    broken = DefenderProvider(run=replay({"*": "defender-wrong-type.json"}))
    statuses = AntivirusCollector([broken, WscProvider(run=replay({"*": "wsc-two-products.json"}))]).collect()
    assert ["error" in status for status in statuses] == [True, False]
