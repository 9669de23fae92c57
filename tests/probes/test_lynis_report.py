"""Lynis report files parsed as recorded from a real run (Debian 12, lynis 3.0.8-1.1).

tests/probes/data/lynis-report-debian12.dat is the report file of
`lynis audit system --cronjob --quiet --report-file ...` on the CI machine,
with its network addresses (network_*_address[] lines) left out.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import pytest

from probes.collectors.lynis import MAX_FINDINGS, MAX_TEXT, LynisCollector, parse_report
from probes.collectors import CollectorFailed
from probes.report import Lynis

RECORDED = Path(__file__).parent / "data" / "lynis-report-debian12.dat"


def recorded() -> str:
    return RECORDED.read_text(encoding="utf-8")


def test_recorded_report_gives_index_version_times_and_findings():
    section = parse_report(recorded())
    assert section["hardening_index"] == 57
    assert section["lynis_version"] == "3.0.8"
    assert section["tests_performed"] == 243
    assert [w["test_id"] for w in section["warnings"]] == ["PKGS-7392", "FIRE-4512", "LOGG-2138"]
    assert section["warnings"][0]["text"] == "Found one or more vulnerable packages."
    assert len(section["suggestions"]) == 42 and section["dropped_findings"] == 0
    started, finished = (datetime.fromisoformat(section[key]) for key in ("started_at", "finished_at"))
    assert started.tzinfo is not None and (finished - started).total_seconds() == 41


def test_the_groups_a_run_audited_come_from_its_test_group_line():
    assert parse_report(recorded())["groups"] == []  # test_group=all: the full audit
    assert parse_report("test_group=ssh firewalls\n")["groups"] == ["ssh", "firewalls"]
    hostile = parse_report("test_group=ssh <script> kernel_hardening " + "x" * 100 + "\n")["groups"]
    assert hostile == ["ssh", "kernel_hardening", "x" * 32]


GROUPS_LYNIS = """#!/bin/sh
# Stands in for Lynis to show its arguments: writes them, and a finished report naming its --tests-from-group.
printf '%s\\n' "$@" > "$ARGS_FOR_TEST"
while [ $# -gt 0 ]; do
    case "$1" in
        --report-file) report="$2"; shift ;;
        --tests-from-group) groups="$2"; shift ;;
    esac
    shift
done
printf 'report_datetime_start=2026-12-07 20:00:00\\nreport_datetime_end=2026-12-07 20:00:09\\n' > "$report"
printf 'lynis_version=3.0.8\\nhardening_index=35\\ntest_group=%s\\n' "${groups:-all}" >> "$report"
"""


@pytest.mark.parametrize("groups", [(), ("ssh", "firewalls")], ids=["full", "some"])
def test_the_collector_asks_lynis_for_the_configured_groups_only(tmp_path, monkeypatch, groups):
    script = tmp_path / "lynis"
    script.write_text(GROUPS_LYNIS)
    script.chmod(0o755)
    monkeypatch.setenv("ARGS_FOR_TEST", str(tmp_path / "args"))
    collector = LynisCollector(tmp_path / "state", lynis=str(script), pid_file=tmp_path / "lynis.pid", groups=groups)
    assert collector.collect() is None
    deadline = time.monotonic() + 30
    while (section := collector.collect()) is None:
        assert time.monotonic() < deadline, "the stand-in ended with no section"
        time.sleep(0.05)
    args = (tmp_path / "args").read_text().splitlines()
    if groups:
        assert args[args.index("--tests-from-group") + 1] == "ssh firewalls"
    else:
        assert "--tests-from-group" not in args
    assert section["groups"] == list(groups) and section["hardening_index"] == 35


def test_dash_means_empty_and_details_and_solution_are_kept():
    by_id = {s["test_id"]: s for s in parse_report(recorded())["suggestions"]}
    assert by_id["AUTH-9230"]["details"] == "" and by_id["AUTH-9230"]["solution"] == ""
    assert by_id["FILE-7524"]["details"] == "See screen output or log file"
    assert by_id["FILE-7524"]["solution"] == "text:Use chmod to change file permissions"
    assert by_id["LYNIS"]["text"].startswith("This release is more than 4 months old")


def test_parsed_section_is_valid_against_the_report_schema():
    section = parse_report(recorded())
    Lynis.model_validate({**section, "exit_code": 0, "cpu_seconds": 41.6})


def test_findings_are_bounded_and_the_dropped_ones_counted():
    warning = next(line for line in recorded().splitlines() if line.startswith("warning[]="))
    long_line = "suggestion[]=AUTH-9230|" + "x" * 2000 + "|-|-|"
    text = recorded() + "\n" + "\n".join([warning] * (MAX_FINDINGS + 7) + [long_line])
    section = parse_report(text)
    assert len(section["warnings"]) == MAX_FINDINGS
    assert section["dropped_findings"] == 10  # 3 recorded warnings + 107 copies, 100 kept
    assert all(len(item["text"]) <= MAX_TEXT for item in section["suggestions"])


def test_a_report_cut_short_has_no_end_time_and_hostile_ids_are_cleaned():
    lines = recorded().splitlines()
    cut = "\n".join(line for line in lines if not line.startswith(("report_datetime_end", "hardening_index")))
    section = parse_report(cut + "\nwarning[]=<script>AB-1|text|-|-|\nhardening_index=900\n")
    assert section["finished_at"] is None and section["hardening_index"] is None
    assert section["warnings"][-1]["test_id"] == "scriptAB-1"


def test_a_lynis_that_is_not_installed_is_reported_once_per_interval(tmp_path):
    now = [1000.0]
    collector = LynisCollector(tmp_path, interval_hours=24, lynis=str(tmp_path / "no-lynis"), clock=lambda: now[0])
    assert collector.collect() == {"installed": False}
    assert collector.collect() is None
    now[0] += 24 * 3600
    assert collector.collect() == {"installed": False}


def test_a_run_that_ends_without_a_finished_report_is_a_collector_failure(tmp_path):
    """/bin/true stands for a Lynis that exits at once and writes nothing."""
    collector = LynisCollector(tmp_path, lynis="/bin/true", pid_file=tmp_path / "lynis.pid")
    assert collector.collect() is None
    with pytest.raises(CollectorFailed, match="without a report file"):
        for _ in range(100):
            collector.collect()
            time.sleep(0.05)
    assert not collector.running()
    assert collector.collect() is None and not collector.running()  # not again at once...
    collector.clock = lambda: time.time() + 301
    assert collector.collect() is None and collector.running()  # ...but five minutes later, not in a day
    collector.stop()


def test_the_agent_starts_lynis_runs_only_while_it_runs_for_good(tmp_path):
    """`ops agent once` ends after one report: a Lynis run started then would outlive it."""
    from probes.agent import build_collectors
    from probes.config import AgentSettings

    lynis = next(c for c in build_collectors(AgentSettings(state_dir=tmp_path)) if c.name == "lynis")
    assert not lynis.starts_runs and lynis.collect() is None and not lynis.running()
    assert "lynis" not in [c.name for c in build_collectors(AgentSettings(state_dir=tmp_path, lynis_interval_hours=0))]
