"""Restoring a backup: verify everything, stage everything, then swap it in.

1. The whole file is read once into a staging folder under [paths] var_dir;
   every member's sha256 is checked against manifest.json. A truncated or
   damaged file, a missing manifest, a member not in the manifest, a
   database of the other kind, or a schema revision this code does not know
   (a backup from a newer version) is refused with BackupError (exit 2)
   before anything of the console is touched.
2. The database is made ready: SQLite's copy passes `PRAGMA integrity_check`,
   has the manifest's row counts, and is migrated to this code's newest
   revision in the staging folder. PostgreSQL's dump is read by
   `pg_restore --list`.
3. The swap: SQLite's file is renamed over the live one (after its WAL was
   checkpointed); PostgreSQL's public schema is replaced in one transaction
   (console.backup.database.pg_restore), then migrated in another (Alembic's
   migrations are transactional on PostgreSQL: a failed one leaves the
   restored data at the backup's revision, and the console refuses to serve
   until `ops db upgrade` succeeds). Each file set was copied beside its
   target first and is now swapped in by rename.

Stop the console's services (web, scheduler, task worker) before a restore:
it replaces their database under them.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy.exc import SQLAlchemyError

from console import migrate
from console.backup import database
from console.backup.archive import FORMAT, FORMAT_VERSION, MANIFEST, BackupError
from console.backup.filesets import FileSet, file_sets
from console.db import make_engine

DAMAGED = (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile)


@dataclass(frozen=True)
class RestoreSummary:
    path: Path
    created_at: str
    app_version: str
    backup_revision: str | None
    revision: str | None
    tables: int
    rows: int
    files: int


def restore(settings, path: Path) -> RestoreSummary:
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    settings.paths.var_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".ops-restore-", dir=settings.paths.var_dir))
    prepared: list[tuple[FileSet, Path]] = []
    try:
        manifest = _unpack_verified(path, staging / "members")
        _check_compatible(path, manifest, settings)
        counts = manifest["database"]["row_counts"]
        staged_db = staging / "members" / manifest["database"]["member"]
        if manifest["database"]["kind"] == "sqlite":
            revision = _prepare_sqlite(staged_db, counts)
        else:
            database.pg_check_archive(staged_db, settings.backup.pg_bin_dir)
        prepared = [_prepare_set(file_set, staging / "members" / file_set.prefix, manifest)
                    for file_set in file_sets(settings)]
        problem = None
        if manifest["database"]["kind"] == "sqlite":
            _swap_sqlite(staged_db, database.sqlite_path(settings.database_url))
        else:
            revision, problem = _restore_postgres(settings, staged_db, staging, counts)
        for file_set, new in prepared:  # the database is the backup's now: so are the files
            _swap_set(file_set, new)
        prepared = []
        if problem:
            raise BackupError(f"restored {path}, but {problem}")
    except OSError as exc:
        raise BackupError(f"cannot restore {path}: {exc.strerror or exc}; the console was not changed") from None
    finally:
        for _file_set, new in prepared:
            _remove(new)
        shutil.rmtree(staging, ignore_errors=True)
    files = sum(1 for member in manifest["members"] if member.startswith("files/"))
    return RestoreSummary(path, manifest["created_at"], manifest["app_version"], manifest["schema_revision"],
                          revision, len(counts), sum(counts.values()), files)


def _unpack_verified(path: Path, target: Path) -> dict:
    """Every member written under `target` with its digest; the manifest checked against them."""
    seen: dict[str, dict] = {}
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            for info in tar:
                seen[info.name] = _unpack_member(tar, info, target)
    except DAMAGED as exc:
        raise BackupError(f"{path}: not a readable backup (truncated or damaged: {exc or type(exc).__name__}); "
                          f"the console was not changed") from None
    if MANIFEST not in seen:
        raise BackupError(f"{path}: no {MANIFEST} in the file, so nothing in it can be checked; not restored")
    try:
        manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
        members = manifest["members"]
        manifest["database"]["member"], manifest["schema_revision"], manifest["created_at"]  # noqa: B018
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"{path}: {MANIFEST} is not a backup manifest ({exc}); not restored") from None
    for name, expected in members.items():
        found = seen.get(name)
        if found is None:
            raise BackupError(f"{path}: {name} is listed in {MANIFEST} but missing from the file; not restored")
        if found != expected:
            raise BackupError(f"{path}: {name} does not match its checksum in {MANIFEST} (damaged); not restored")
    extra = sorted(set(seen) - set(members) - {MANIFEST})
    if extra:
        raise BackupError(f"{path}: {extra[0]} is in the file but not in {MANIFEST}; not restored")
    return manifest


def _unpack_member(tar: tarfile.TarFile, info: tarfile.TarInfo, target: Path) -> dict:
    name = PurePosixPath(info.name)
    if name.is_absolute() or ".." in name.parts or not name.parts:
        raise BackupError(f"unsafe member name in the backup: {info.name!r}; not restored")
    destination = target.joinpath(*name.parts)
    destination.parent.mkdir(parents=True, exist_ok=True)
    if info.issym():
        link = PurePosixPath(info.linkname)
        if link.is_absolute() or ".." in link.parts:
            raise BackupError(f"unsafe link in the backup: {info.name} -> {info.linkname}; not restored")
        os.symlink(info.linkname, destination)
        return {"type": "symlink", "target": info.linkname}
    if not info.isfile():
        raise BackupError(f"unexpected member type in the backup: {info.name!r}; not restored")
    digest, size = hashlib.sha256(), 0
    source = tar.extractfile(info)
    with open(destination, "wb") as out:
        while chunk := source.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    os.chmod(destination, info.mode & 0o777 or 0o600)
    return {"type": "file", "sha256": digest.hexdigest(), "size": size}


def _check_compatible(path: Path, manifest: dict, settings) -> None:
    if manifest.get("format") != FORMAT or not isinstance(manifest.get("format_version"), int):
        raise BackupError(f"{path}: not an Ops Console backup ({MANIFEST} names format {manifest.get('format')!r})")
    if manifest["format_version"] > FORMAT_VERSION:
        raise BackupError(f"{path}: backup format {manifest['format_version']} is newer than this console reads "
                          f"({FORMAT_VERSION}); upgrade the console first")
    kind, here = manifest["database"]["kind"], database.kind_of(settings.database_url)
    if kind != here:
        raise BackupError(f"{path}: the backup holds a {kind} database, this console uses {here}; not restored")
    revision = manifest["schema_revision"]
    script = ScriptDirectory.from_config(migrate.alembic_config())
    try:
        known = revision is None or script.get_revision(revision) is not None
    except CommandError:
        known = False
    if not known:
        raise BackupError(f"{path}: made by Ops Console {manifest.get('app_version')} at schema revision {revision}, "
                          f"newer than this console knows (newest {script.get_current_head()}): upgrade the "
                          f"console first; not restored")


def _prepare_sqlite(staged: Path, counts: dict[str, int]) -> str | None:
    try:
        database.sqlite_check(staged)
        found = database.table_counts_sqlite(staged)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"the backup's SQLite database cannot be read: {exc}; not restored") from None
    if found != counts:
        raise BackupError("the backup's SQLite database does not hold the rows its manifest counts; not restored")
    engine = make_engine(f"sqlite:///{staged}")
    try:
        _before, after = migrate.upgrade(engine)
    except (SQLAlchemyError, CommandError) as exc:
        raise BackupError(f"the backup's database cannot be migrated to this version: {_first_line(exc)}; "
                          f"not restored") from None
    finally:
        engine.dispose()
    return after


def _first_line(exc: Exception) -> str:
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]


def _swap_sqlite(staged: Path, live: Path) -> None:
    live.parent.mkdir(parents=True, exist_ok=True)
    incoming = live.with_name(f".{live.name}.restore-new")
    shutil.copyfile(staged, incoming)
    if live.exists():
        with closing(sqlite3.connect(live)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    os.replace(incoming, live)
    for suffix in ("-wal", "-shm", "-journal"):
        live.with_name(live.name + suffix).unlink(missing_ok=True)


def _restore_postgres(settings, archive: Path, staging: Path, counts: dict[str, int]) -> tuple[str | None, str]:
    """Restore in one transaction (rows checked before it commits), then migrate in another.

    Returns the revision and what went wrong after the commit ("" if nothing): a failed migration is rolled
    back to the backup's revision, and the console refuses to serve until `ops db upgrade` succeeds.
    """
    url = settings.database_url
    database.pg_restore(url, archive, staging, settings.backup.pg_bin_dir, counts)
    engine = make_engine(url)
    try:
        try:
            _before, after = migrate.upgrade(engine)
        except (SQLAlchemyError, CommandError) as exc:
            revision = migrate.current_revision(engine)
            return revision, (f"migrating it from revision {revision} to this version failed: {_first_line(exc)}; "
                              f"the console refuses to serve until `ops db upgrade` succeeds")
    finally:
        engine.dispose()
    return after, ""


def _prepare_set(file_set: FileSet, staged: Path, manifest: dict) -> tuple[FileSet, Path]:
    """A copy of the set's restored content beside its target (same filesystem, for the rename)."""
    target = file_set.path
    new = target.with_name(f".{target.name}.restore-new")
    _remove(new)
    kind = manifest.get("file_sets", {}).get(file_set.name, {}).get("kind", "absent")
    target.parent.mkdir(parents=True, exist_ok=True)
    if kind == "dir":
        if staged.is_dir():
            shutil.copytree(staged, new, symlinks=True)
        else:
            new.mkdir()
        for name in file_set.skip_top:  # keep this console's caches (rules' downloads)
            if (target / name).is_dir() and not (new / name).exists():
                shutil.copytree(target / name, new / name, symlinks=True)
    elif kind == "file":
        shutil.copy2(staged, new, follow_symlinks=False)
    return file_set, new


def _swap_set(file_set: FileSet, new: Path) -> None:
    target = file_set.path
    old = target.with_name(f".{target.name}.restore-old")
    _remove(old)
    if target.exists() or target.is_symlink():
        os.rename(target, old)
    if new.exists() or new.is_symlink():
        os.rename(new, target)
    _remove(old)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
