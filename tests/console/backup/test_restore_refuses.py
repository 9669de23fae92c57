"""A damaged backup, one from a newer schema or of the other database kind: refused, exit 2, nothing changed."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import text

from console import migrate
from console.backup.database import table_counts
from tests.console.backup.conftest import ops, snapshot


@pytest.fixture
def made(engine, settings, config_file, synced, make_user, tmp_path):
    """A small console (inventory, a user, an evidence file) and a backup of it."""
    from console.models import Role

    make_user("alice", Role.admin)
    (settings.paths.var_dir / "evidence").mkdir(parents=True, exist_ok=True)
    (settings.paths.var_dir / "evidence" / "a.pdf").write_bytes(b"%PDF evidence")
    result = ops(config_file, "db", "backup", "--output", str(tmp_path))
    assert result.exit_code == 0, result.output
    return Path(result.output.strip())


def _rewrite(source: Path, target: Path, change) -> Path:
    """A copy of the backup with its members passed through change(name, data) -> data | None (None drops it)."""
    with tarfile.open(source) as tar:
        members = [(info, tar.extractfile(info).read() if info.isfile() else None) for info in tar]
    with tarfile.open(target, "w:gz") as out:
        for info, data in members:
            if data is not None:
                data = change(info.name, data)
                if data is None:
                    continue
                info.size = len(data)
                out.addfile(info, io.BytesIO(data))
            else:
                out.addfile(info)
    return target


def _newer_schema(name: str, data: bytes) -> bytes:
    if name != "manifest.json":
        return data
    manifest = json.loads(data)
    manifest["schema_revision"], manifest["app_version"] = "0099", "9.0.0"
    return json.dumps(manifest).encode()


def _other_kind(name: str, data: bytes) -> bytes:
    if name != "manifest.json":
        return data
    manifest = json.loads(data)
    manifest["database"]["kind"] = "postgresql" if manifest["database"]["kind"] == "sqlite" else "sqlite"
    return json.dumps(manifest).encode()


def _flip_evidence(name: str, data: bytes) -> bytes:
    return data.replace(b"evidence", b"EVIDENCE") if name.startswith("files/evidence/") else data


def _written(target: Path, data: bytes) -> Path:
    target.write_bytes(data)
    return target


CASES = {
    "truncated": (lambda src, dst: _written(dst, src.read_bytes()[: src.stat().st_size // 2]), "truncated or damaged"),
    "not a gzip": (lambda src, dst: _written(dst, b"not a backup at all\n"), "truncated or damaged"),
    "a tar with no manifest": (lambda src, dst: _rewrite(src, dst, lambda n, d: None if n == "manifest.json" else d),
                               "no manifest.json"),
    "a changed evidence file": (lambda src, dst: _rewrite(src, dst, _flip_evidence), "does not match its checksum"),
    "a newer schema": (lambda src, dst: _rewrite(src, dst, _newer_schema), "newer than this console knows"),
    "the other database kind": (lambda src, dst: _rewrite(src, dst, _other_kind), "database, this console uses"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_restore_refuses_a_bad_file_with_exit_2_and_changes_nothing(case, made, engine, settings, config_file,
                                                                    tmp_path):
    damage, message = CASES[case]
    bad = damage(made, tmp_path / "bad.tar.gz")
    before = snapshot(engine, settings)
    result = ops(config_file, "db", "restore", str(bad))
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert snapshot(engine, settings) == before
    assert not list(settings.paths.var_dir.glob(".ops-restore-*")), "the staging folder was left behind"


def test_restore_of_a_good_backup_after_a_refusal_works(made, engine, settings, config_file, tmp_path):
    (settings.paths.var_dir / "evidence" / "a.pdf").write_bytes(b"changed since")
    assert ops(config_file, "db", "restore", str(tmp_path / "missing.tar.gz")).exit_code == 2
    result = ops(config_file, "db", "restore", str(made))
    assert result.exit_code == 0, result.output
    assert (settings.paths.var_dir / "evidence" / "a.pdf").read_bytes() == b"%PDF evidence"


def test_backup_keeps_the_newest_n_in_its_folder(engine, settings, config_file, tmp_path):
    folder = tmp_path / "nightly"
    written = []
    for _ in range(4):
        result = ops(config_file, "db", "backup", "--output", str(folder.mkdir(exist_ok=True) or folder),
                     "--keep", "2")
        assert result.exit_code == 0, result.output
        written.append(Path(result.output.strip()))
    (folder / "notes.txt").write_text("not a backup, never pruned")
    assert sorted(folder.iterdir()) == sorted([*written[2:], folder / "notes.txt"])
    assert gzip.open(written[-1]).read(1)


CUT_PSQL = """#!{python}
# The real psql, given only the first half of the restore script: a restore cut off in the middle.
import os, sys
args = []
for arg in sys.argv[1:]:
    if arg.startswith("--file=") and arg.endswith("restore.sql"):
        path = arg[len("--file="):]
        data = open(path, "rb").read()
        open(path + ".half", "wb").write(data[: len(data) // 2])
        arg = "--file=" + path + ".half"
    args.append(arg)
os.execv("{bin}/psql", ["psql", *args])
"""


@pytest.mark.postgres
def test_a_postgres_restore_cut_off_halfway_changes_nothing(postgres, tmp_path):
    """psql runs the schema's drop and half of the dump, then stops on the cut: the one transaction
    takes it all back, the old schema and rows included."""
    import sys

    from console.access import users
    from console.access.actor import Actor
    from console.db import make_engine, make_session_factory, session_scope
    from console.models import Role
    from console.settings import SecuritySettings
    from tests.conftest import PASSWORD
    from tests.fixtures.postgres import PG_BIN

    tools = tmp_path / "pg-bin"
    tools.mkdir()
    for name in ("pg_dump", "pg_restore"):
        (tools / name).symlink_to(PG_BIN / name)
    (tools / "psql").write_text(CUT_PSQL.format(python=sys.executable, bin=PG_BIN))
    (tools / "psql").chmod(0o755)

    def console(name: str, people: list[str]) -> tuple[Path, object]:
        url = postgres.new_database()
        config = tmp_path / f"{name}.toml"
        config.write_text(f'[database]\nurl = "{url}"\n[paths]\nvar_dir = "{tmp_path / name}"\n'
                          f'[backup]\npg_bin_dir = "{tools}"\n')
        engine = make_engine(url)
        migrate.upgrade(engine)
        with session_scope(make_session_factory(engine)) as db:
            for person in people:
                users.create_user(db, Actor.cli(), SecuritySettings(), person, Role.admin, password=PASSWORD)
        return config, engine

    live_config, live = console("live", ["alice"])
    other_config, other = console("other", [f"user{n:03d}" for n in range(3)])
    try:
        made = ops(other_config, "db", "backup", "--output", str(tmp_path))
        assert made.exit_code == 0, made.output
        before = table_counts(live)
        result = ops(live_config, "db", "restore", made.output.strip())
        assert result.exit_code == 2 and "psql failed" in result.output, result.output
        assert table_counts(live) == before
        with live.connect() as conn:
            assert conn.execute(text("SELECT username FROM users")).scalars().all() == ["alice"]
        assert migrate.current_revision(live) == migrate.head_revision(live)
    finally:
        live.dispose()
        other.dispose()
