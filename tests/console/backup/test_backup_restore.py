"""Back up a console with data in every area, destroy it, restore it: every row and every file comes back."""

from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import text

from console import migrate
from console.backup.database import sqlite_path
from tests.console.backup.conftest import ops, snapshot


def _destroy(engine, settings) -> None:
    """What a dead disk or a wrong `rm -rf` leaves: no database, no var/ files."""
    engine.dispose()
    if engine.url.get_backend_name() == "sqlite":
        path = sqlite_path(settings.database_url)
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    else:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    shutil.rmtree(settings.paths.var_dir / "evidence")
    shutil.rmtree(settings.compliance.report_dir)
    shutil.rmtree(settings.rules.var_dir)
    (settings.paths.var_dir / "secret_key").unlink()


def test_backup_destroy_restore_gives_back_every_row_and_file(filled, engine, settings, config_file, tmp_path):
    counts, files = snapshot(engine, settings)
    assert all(counts[t] > 0 for t in ("hosts", "users", "audit_events", "api_tokens", "agents", "host_reports",
                                       "alerts", "alert_groups", "compliance_runs", "compliance_results",
                                       "incidents", "information_systems"))
    assert any(name.startswith("compliance-reports/") for name in files)
    filled.stop()
    (tmp_path / "safe").mkdir()
    result = ops(config_file, "db", "backup", "--output", str(tmp_path / "safe"))
    assert result.exit_code == 0, result.output
    written = Path(result.output.strip())
    assert written.parent == tmp_path / "safe" and written.name.startswith("ops-backup-")
    with tarfile.open(written) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        names = tar.getnames()
    assert manifest["app_version"] == "0.2.0" and manifest["schema_revision"] == migrate.head_revision(engine)
    assert manifest["database"]["row_counts"] == counts
    assert "files/rules/active" in names and not any("downloads" in name for name in names)

    _destroy(engine, settings)
    result = ops(config_file, "db", "restore", str(written))
    assert result.exit_code == 0, result.output
    assert "restored" in result.output
    assert snapshot(engine, settings) == (counts, files)
    assert (settings.rules.var_dir / "active").resolve() == (settings.rules.var_dir / "versions" / "2").resolve()
