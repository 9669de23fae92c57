"""A database and var/ made by an earlier release of this repository, upgraded by this one: nothing lost.

The earlier release is commit a7d6ba8 (before remediations, schema revision
0015), taken with `git archive` into a temp folder and run with this
virtualenv's interpreter and PYTHONPATH pointing at it; it fills every area
it had. Then this code's `ops db upgrade` migrates, and a backup made by the
old data restores through this code's `ops db restore` with the same rows.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from console import migrate
from console.db import make_engine
from tests.console.backup.conftest import files_of, ops

EARLIER = "a7d6ba83eca47a6ee79131d0ea3ea5bba5ad8829"
REPO = Path(__file__).resolve().parents[3]
# Tables the later migrations add, empty after the upgrade: 0016 remediations, 0018 availability's,
# 0019 the deploy approvals of inline sensors, 0020 the known vulnerabilities', 0022 their figures per day.
NEW_TABLES = {"remediations", "availability_check_states", "availability_hourly", "availability_outages",
              "availability_results", "availability_service_states", "rule_deploy_approvals",
              "host_packages", "host_vulns", "vuln_cves", "vuln_imports", "vuln_sources", "vuln_waivers",
              "vuln_days"}


@pytest.fixture(scope="module")
def earlier_release(tmp_path_factory) -> Path:
    tree = tmp_path_factory.mktemp("earlier-release")
    archive = subprocess.run(["git", "-C", str(REPO), "archive", EARLIER, "console", "probes", "rules", "inventory"],
                             capture_output=True, check=True, timeout=60).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True, timeout=60)
    return tree


def _old(tree: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([sys.executable, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300)


def test_ops_db_upgrade_keeps_every_row_and_file_of_an_earlier_release(earlier_release, db_url, tmp_path,
                                                                      suricata_eve):
    config = tmp_path / "ops.toml"
    config.write_text(f'[console]\nsecret_key = ""\ndefault_locale = "en"\n[database]\nurl = "{db_url}"\n'
                      f'[paths]\nvar_dir = "{tmp_path / "var"}"\n[inventory]\npath = "{earlier_release / "inventory"}"\n')
    eve = tmp_path / "eve.json"
    eve.write_bytes(suricata_eve.read_bytes())
    made = _old(earlier_release, str(Path(__file__).with_name("old_release_data.py")), str(config), str(eve),
                str(tmp_path / "agent"), cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    ran = _old(earlier_release, "-m", "console.cli", "-c", str(config), "compliance", "run", "--format", "json,csv",
               cwd=tmp_path)
    assert ran.returncode in (0, 1), ran.stderr
    var = tmp_path / "var"
    (var / "evidence").mkdir()
    (var / "evidence" / "made-by-0.1.pdf").write_bytes(b"%PDF old evidence")
    engine = make_engine(db_url)
    try:
        assert migrate.current_revision(engine) == "0015"
        from console.backup.database import table_counts
        from console.settings import load_settings

        settings = load_settings(config)
        before_counts, before_files = table_counts(engine), files_of(settings)
        assert (var / "secret_key").exists() and any(n.startswith("compliance-reports/") for n in before_files)
        assert all(before_counts[t] > 0 for t in ("hosts", "users", "api_tokens", "audit_events", "host_reports",
                                                  "alerts", "alert_groups", "compliance_results"))
        backup = ops(config, "db", "backup", "--output", str(tmp_path))  # this code backs up the old schema
        assert backup.exit_code == 0, backup.output

        upgraded = ops(config, "db", "upgrade")
        assert upgraded.exit_code == 0 and "upgraded from 0015" in upgraded.output
        after = table_counts(engine)
        assert {t: n for t, n in after.items() if t not in NEW_TABLES} == before_counts
        assert all(after[t] == 0 for t in NEW_TABLES)
        assert files_of(settings) == before_files

        # The old backup restores onto this code and is migrated up, with the same rows.
        (var / "evidence" / "made-by-0.1.pdf").write_bytes(b"changed after the backup")
        restored = ops(config, "db", "restore", backup.output.strip())
        assert restored.exit_code == 0 and "upgraded from revision 0015" in restored.output, restored.output
        assert migrate.current_revision(engine) == migrate.head_revision(engine)
        assert table_counts(engine) == after and files_of(settings) == before_files
    finally:
        engine.dispose()
