"""Writing a backup: one gzip'd tar holding the database, the console's files and manifest.json.

Layout:
    database/ops.sqlite3 or database/ops.pgdump   the database (see console.backup.database)
    files/<set>/...                               the file sets of console.backup.filesets
    manifest.json                                 last: format, app version, schema revision,
                                                  database kind and rows per table, and the
                                                  sha256 and size of every other member
                                                  (symlinks: their target)

The file is written as a hidden partial beside its final name and renamed
when complete, so a file named ops-backup-*.tar.gz is always whole; on any
failure (a full disk) the partial file is deleted and BackupError names the
cause (exit 2). After a backup the folder keeps its newest `keep` backups.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from console import migrate
from console.backup import database
from console.backup.filesets import file_sets, walk
from console.db import make_engine
from console.errors import OpsError
from console.version import app_version

FORMAT = "ops-console-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
NAME_PREFIX, NAME_SUFFIX = "ops-backup-", ".tar.gz"


class BackupError(OpsError):
    """A backup could not be written, or a file is not a backup this console can restore."""

    exit_code = 2


def backup(settings, output: Path | None = None, keep: int | None = None, now: datetime | None = None) -> Path:
    """Write one backup file and return its path; then keep the newest `keep` in its folder.

    `output` is a folder (the file gets its usual name there) or a file name; default [backup] folder.
    """
    now = now or datetime.now(timezone.utc)
    target = _target(settings, output, now)
    keep = settings.backup.keep if keep is None else keep
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"cannot create {target.parent}: {exc.strerror}") from None
    partial = target.with_name(f".{target.name}.partial")
    staging = None
    try:
        staging = Path(tempfile.mkdtemp(prefix=".ops-backup-", dir=target.parent))
        _write(settings, partial, staging, now)
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"cannot write the backup {target}: {exc.strerror or exc}; nothing was kept") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    prune(target.parent, keep)
    return target


def _target(settings, output: Path | None, now: datetime) -> Path:
    name = f"{NAME_PREFIX}{now.strftime('%Y%m%dT%H%M%S%fZ')}{NAME_SUFFIX}"
    if output is None:
        return settings.backup.folder / name
    output = Path(output).absolute()
    return output / name if output.is_dir() else output


def _write(settings, partial: Path, staging: Path, now: datetime) -> None:
    url = settings.database_url
    kind = database.kind_of(url)
    engine = make_engine(url)
    try:
        revision = migrate.current_revision(engine)
    finally:
        engine.dispose()
    if kind == "sqlite":
        dumped = staging / "ops.sqlite3"
        _sqlite_copy(database.sqlite_path(url), dumped)
        counts = database.table_counts_sqlite(dumped)
    else:
        dumped = staging / "ops.pgdump"
        counts = database.pg_dump(url, dumped, settings.backup.pg_bin_dir)
    members: dict[str, dict] = {}
    with open(partial, "wb") as raw:
        with tarfile.open(fileobj=raw, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
            db_member = f"database/{dumped.name}"
            members[db_member] = _add_file(tar, db_member, dumped)
            sets = {}
            for file_set in file_sets(settings):
                entries = list(walk(file_set))
                sets[file_set.name] = {"kind": _set_kind(file_set.path), "entries": len(entries)}
                for relative, path in entries:
                    member = f"{file_set.prefix}/{relative}" if relative else file_set.prefix
                    members[member] = _add_link(tar, member, path) if path.is_symlink() else _add_file(tar, member, path)
            manifest = {"format": FORMAT, "format_version": FORMAT_VERSION,
                        "created_at": now.isoformat(timespec="seconds"), "app_version": app_version(),
                        "schema_revision": revision,
                        "database": {"kind": kind, "member": db_member, "row_counts": counts},
                        "file_sets": sets, "members": members}
            body = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(body), int(now.timestamp()), 0o600
            tar.addfile(info, io.BytesIO(body))
        raw.flush()
        os.fsync(raw.fileno())
    os.chmod(partial, 0o600)  # it holds the secret key and every password hash


def _sqlite_copy(source: Path, target: Path) -> None:
    import sqlite3

    try:
        database.sqlite_copy(source, target)
    except sqlite3.Error as exc:
        if "full" in str(exc):
            raise OSError(28, "No space left on device") from None
        raise BackupError(f"cannot copy the SQLite database {source}: {exc}") from None


def _set_kind(path: Path) -> str:
    if path.is_symlink() or path.is_file():
        return "file"
    return "dir" if path.is_dir() else "absent"


class _Hashing(io.RawIOBase):
    def __init__(self, handle):
        self.handle, self.digest, self.size = handle, hashlib.sha256(), 0

    def readable(self) -> bool:
        return True

    def read(self, size=-1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


def _add_file(tar: tarfile.TarFile, member: str, path: Path) -> dict:
    info = tar.gettarinfo(str(path), arcname=member)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    with open(path, "rb") as handle:
        hashing = _Hashing(handle)
        tar.addfile(info, hashing)
    return {"type": "file", "sha256": hashing.digest.hexdigest(), "size": hashing.size}


def _add_link(tar: tarfile.TarFile, member: str, path: Path) -> dict:
    info = tarfile.TarInfo(member)
    info.type, info.linkname = tarfile.SYMTYPE, os.readlink(path)
    tar.addfile(info)
    return {"type": "symlink", "target": info.linkname}


def backups_in(folder: Path) -> list[Path]:
    """The backups of a folder, oldest first (their names sort by time)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.name.startswith(NAME_PREFIX) and p.name.endswith(NAME_SUFFIX) and p.is_file())


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups of the folder; returns what was deleted."""
    found = backups_in(folder)
    removed = found[:-keep] if keep > 0 else []
    for path in removed:
        path.unlink(missing_ok=True)
    return removed
