"""The `ops` command: areas listed, clear one-line errors with exit codes, users from the shell."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.fixtures.cli import OPS, REPO, ops, ops_process  # noqa: F401  (other test modules import them from here)


def test_help_lists_every_area_with_a_purpose():
    result = ops_process("--help")  # the installed entry point, in a process of its own
    assert result.returncode == 0
    for area in ("config", "console", "db", "inventory", "user"):
        line = next(line for line in result.stdout.splitlines() if line.strip().startswith(area + " "))
        assert len(line.split(None, 1)[1]) > 10, line


def test_malformed_config_is_one_line_and_exit_2(tmp_path):
    bad = tmp_path / "ops.toml"
    bad.write_text('[console]\nport = "x"\n')
    result = ops_process("--config", str(bad), "config", "check")  # a process of its own: the whole of stderr
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"ops: error: {bad}:2: console.port: Input should be a valid integer, unable to parse string as an integer (got 'x')"
    ]


def test_db_upgrade_is_idempotent_and_users_work_from_the_shell(config_file):
    first = ops("db", "upgrade", config=config_file)
    assert first.returncode == 0 and "upgraded from empty" in first.stdout
    again = ops("db", "upgrade", config=config_file)
    assert again.returncode == 0 and "already at revision" in again.stdout
    boot = ops("user", "bootstrap", config=config_file)
    assert "password (shown once):" in boot.stdout
    assert "shown once" not in ops("user", "bootstrap", config=config_file).stdout
    added = ops("user", "add", "lan", "--role", "it_staff", "--password-stdin", config=config_file,
                input_text="a long enough password\n")
    assert added.returncode == 0 and "password" not in added.stdout.replace("--password", "")
    listing = ops("user", "list", config=config_file).stdout
    assert "lan" in listing and "it_staff" in listing and "admin" in listing
    assert ops("user", "disable", "lan", config=config_file).returncode == 0
    assert "disabled" in ops("user", "list", config=config_file).stdout


def test_user_errors_are_one_line_with_exit_code(config_file):
    ops("db", "upgrade", config=config_file)
    result = ops("user", "add", "Bad Name", "--role", "auditor", config=config_file)
    assert result.returncode == 1
    assert result.stderr.startswith("ops: error: username:")
    result = ops("user", "disable", "nobody", config=config_file)
    assert result.returncode == 1 and "no user 'nobody'" in result.stderr


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_inventory_sync_from_the_shell(config_file):
    ops("db", "upgrade", config=config_file)
    result = ops("inventory", "sync", config=config_file)
    assert result.returncode == 0, result.stderr
    assert "27 added" in result.stdout
    assert "27 hosts" in ops("inventory", "check", config=config_file).stdout


def test_broken_inventory_is_one_line_with_file_line_and_exit_2(tmp_path):
    folder = tmp_path / "inv"
    folder.mkdir()
    (folder / "hosts.yml").write_text("all:\n  hosts:\n    srv1:\n      ansible_host: [\n")
    config = tmp_path / "ops.toml"
    config.write_text(f'[inventory]\npath = "{folder}"\n[paths]\nvar_dir = "{tmp_path / "var"}"\n')
    result = ops("inventory", "check", config=config)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"ops: error: {folder / 'hosts.yml'}:5: YAML error")


def test_token_from_the_shell_opens_the_api_and_revoking_closes_it(config_file, app):
    ops("user", "add", "prom", "--role", "auditor", config=config_file)
    created = ops("token", "create", "--user", "prom", "--name", "prometheus", config=config_file)
    assert created.returncode == 0, created.stderr
    secret = created.stdout.split("token (shown once): ")[1].strip()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/metrics", headers=headers).status_code == 200
    assert secret not in ops("token", "list", config=config_file).stdout
    higher = ops("token", "create", "--user", "prom", "--name", "x", "--role", "admin", config=config_file)
    assert higher.returncode == 3 and "may not hold a token of role admin" in higher.stderr
    token_id = created.stdout.split()[1]
    assert ops("token", "revoke", token_id, config=config_file).returncode == 0
    assert client.get("/metrics", headers=headers).status_code == 401


def test_db_upgrade_and_check_times_name_rows_stamped_outside_the_window(config_file, engine):
    """Issue 29: rows stored before the time window was enforced are named, not deleted, and not left to surprise."""
    from datetime import datetime, timezone

    from sqlalchemy import func, insert, select

    from console.models import Alert

    assert ops("db", "check-times", config=config_file).returncode == 0
    late = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)
    with engine.begin() as connection:
        connection.execute(insert(Alert).values(
            event_at=late, sensor="s", gid=1, sid=9906003, rev=1, signature="x", category="", severity=1,
            src_ip="198.18.20.10", dest_ip="198.18.20.44", proto="TCP", app_proto="", group_key="k", record="{}"))
        alert_id = connection.scalar(select(Alert.id))
    result = ops("db", "check-times", config=config_file)
    assert result.returncode == 1
    assert f"alerts.event_at: 1 row(s) outside the window, e.g. id {alert_id} (9999-12-31" in result.stderr
    upgraded = ops("db", "upgrade", config=config_file)
    assert upgraded.returncode == 0 and "alerts.event_at: 1 row(s) outside the window" in upgraded.stderr
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Alert)) == 1  # reported, never deleted


def test_config_check_refuses_a_negative_future_limit(tmp_path):
    bad = tmp_path / "ops.toml"
    bad.write_text("[console]\nmax_future_hours = -1\n")
    result = ops("config", "check", config=bad)
    assert result.returncode == 2 and "console.max_future_hours" in result.stderr


@pytest.mark.parametrize("moment", ["0001-01-01T00:00+14:00", "1990-01-01T00:00+07:00", "9999-12-31T23:59-12:00"])
def test_an_incident_time_outside_the_window_is_one_line_naming_the_option(config_file, engine, moment):
    result = ops("incidents", "open", "--title", "Hostile time", "--detected-at", moment, config=config_file)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("ops: error: --detected-at: must be from 2000-01-01")


def test_a_failing_migration_is_one_line_naming_the_error_and_the_revision_left(config_file, tmp_path):
    from console import migrate
    from console.lab.wheel import copy_source

    assert ops("db", "upgrade", config=config_file).returncode == 0
    head = migrate.head_revision(None)
    # A copy of this source with one more migration that fails half-way (its column added, then a bad query).
    tree = copy_source(tmp_path / "src")
    (tree / "console/migrations/versions/9999_broken.py").write_text(
        '"""A migration that fails (test)"""\nfrom alembic import op\nimport sqlalchemy as sa\n\n'
        f"revision = '9999'\ndown_revision = '{head}'\nbranch_labels = None\ndepends_on = None\n\n\n"
        "def upgrade() -> None:\n    op.add_column('users', sa.Column('broken_test', sa.Integer()))\n"
        "    op.execute('SELECT no_such_column FROM users')\n")

    result = subprocess.run([*OPS, "--config", str(config_file), "db", "upgrade"], capture_output=True, text=True,
                            cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)}, timeout=120)

    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("ops: error: the schema upgrade to revision 9999 failed: ")
    assert "no_such_column" in lines[0]
    # The revision the database is left at is named: the one before the broken migration.
    assert f"the database is at revision {head}, " in lines[0]
