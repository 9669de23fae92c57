"""Rule sources: the list in rules/sources.yaml, and reading each source's rule files.

A source is a URL (downloaded into the var folder, then read like a file), a
local tarball or zip (the way isolated networks import rules), a directory of
.rules files, or a single .rules file. The department's own rules under
rules/local/ are always read, as the source "local"; Suricata's bundled rules
are the source "suricata" (kind "suricata", read by rules/bundled.py).
Archives are opened with suricata-update's extract module; what they hold is bounded in size, and a
truncated file, a file that is no archive or an archive without rules gives
an error naming the source and the file.
"""

from __future__ import annotations

import os
import re
import tarfile
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml
from suricata.update import extract

from rules.errors import RulesetError
from rules.files import atomic_write

KINDS = ("url", "file", "directory", "suricata")
BUNDLED = "suricata"  # Suricata's bundled rules (rules/bundled.py): the one source of kind "suricata"
NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
LOCAL = "local"
HEADER = ("# Rule sources of the IDS rule manager (ops rules source ... / the console's Rules page).\n"
          "# kind: url (downloaded by `ops rules update`), file (a .tar.gz, .zip or .rules file:\n"
          "# how isolated networks import rules) or directory (of .rules files).\n"
          "# rules/local/ is always read as the source \"local\".\n"
          "# suricata (kind suricata): the rules Suricata ships, read where suricata-update finds them\n"
          "# (location \"\") or from the directory given as location.\n")


@dataclass
class Source:
    name: str
    kind: str
    location: str
    enabled: bool = True


@dataclass(frozen=True)
class SourceFile:
    """One rule file of a source: `label` is "<source>/<path inside the source>"."""

    source: str
    label: str
    content: bytes


def read_sources(path: Path) -> list[Source]:
    if not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        raise RulesetError(f"not valid YAML: {getattr(exc, 'problem', exc)}", path,
                           mark.line + 1 if mark else None) from None
    entries = data.get("sources") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise RulesetError("expected a mapping with a list under 'sources'", path)
    sources = [_source_from(path, index, entry) for index, entry in enumerate(entries, start=1)]
    names = [s.name for s in sources]
    for name in names:
        if names.count(name) > 1:
            raise RulesetError(f"source name {name!r} is used twice", path)
    return sources


def _source_from(path: Path, index: int, entry) -> Source:
    if not isinstance(entry, dict) or set(entry) - {"name", "kind", "location", "enabled"}:
        raise RulesetError(f"source #{index}: expected keys name, kind, location, enabled", path)
    try:
        return check_source(Source(str(entry.get("name", "")), str(entry.get("kind", "")),
                                   str(entry.get("location") or ""), bool(entry.get("enabled", True))))
    except RulesetError as exc:
        raise RulesetError(f"source #{index}: {exc.message}", path) from None


def check_source(source: Source) -> Source:
    if not NAME.match(source.name) or source.name == LOCAL:
        raise RulesetError(f"name {source.name!r} must be 1-64 of a-z 0-9 _ . - (and not 'local')")
    if source.kind not in KINDS:
        raise RulesetError(f"kind {source.kind!r} must be one of {', '.join(KINDS)}")
    if (source.name == BUNDLED) != (source.kind == BUNDLED):
        raise RulesetError(f"the source {BUNDLED!r} (Suricata's bundled rules) is the one source of kind {BUNDLED!r}")
    if source.kind == BUNDLED:
        if source.location and (not os.path.isabs(source.location) or len(source.location) > 2048
                                or "\n" in source.location):
            raise RulesetError(f"location {source.location!r} must be \"\" (where suricata-update looks) "
                               "or an absolute path")
        return source
    if not source.location or len(source.location) > 2048 or "\n" in source.location:
        raise RulesetError("location must be a URL or path of at most 2048 characters")
    if source.kind == "url" and not re.match(r"^(https?|file)://", source.location):
        raise RulesetError(f"location {source.location!r} must start with https://, http:// or file://")
    if source.kind != "url" and not os.path.isabs(source.location):
        raise RulesetError(f"location {source.location!r} must be an absolute path")
    return source


def write_sources(path: Path, sources: list[Source]) -> None:
    body = yaml.safe_dump({"sources": [asdict(s) for s in sources]}, sort_keys=False, allow_unicode=True)
    atomic_write(path, (HEADER + body).encode())


def add_source(path: Path, source: Source) -> Source:
    sources = read_sources(path)
    check_source(source)
    if any(s.name == source.name for s in sources):
        raise RulesetError(f"a source named {source.name!r} exists already", path)
    write_sources(path, [*sources, source])
    return source


def set_enabled(path: Path, name: str, enabled: bool) -> Source:
    sources = read_sources(path)
    found = _find(path, sources, name)
    found.enabled = enabled
    write_sources(path, sources)
    return found


def remove_source(path: Path, name: str) -> Source:
    sources = read_sources(path)
    found = _find(path, sources, name)
    write_sources(path, [s for s in sources if s.name != name])
    return found


def _find(path: Path, sources: list[Source], name: str) -> Source:
    for source in sources:
        if source.name == name:
            return source
    raise RulesetError(f"no source named {name!r}", path)


def read_directory(source: str, folder: Path, max_bytes: int) -> list[SourceFile]:
    """Every *.rules file under `folder`, in name order."""
    if not folder.is_dir():
        raise RulesetError(f"source {source}: directory not found", folder)
    files, total = [], 0
    for path in sorted(folder.rglob("*.rules")):
        content = path.read_bytes()
        total += len(content)
        if total > max_bytes:
            raise RulesetError(f"source {source}: more than {max_bytes} bytes of rules", folder)
        files.append(SourceFile(source, f"{source}/{path.relative_to(folder)}", content))
    return files


def read_file(source: str, path: Path, max_bytes: int) -> list[SourceFile]:
    """A .rules file as it is, or the .rules files inside a tar (any compression) or zip."""
    if not path.is_file():
        raise RulesetError(f"source {source}: file not found", path)
    if path.stat().st_size > max_bytes:
        raise RulesetError(f"source {source}: larger than {max_bytes} bytes", path)
    if path.suffix == ".rules":
        return [SourceFile(source, f"{source}/{path.name}", path.read_bytes())]
    members = _extract(source, path, max_bytes)
    files = [SourceFile(source, f"{source}/{name}", content)
             for name, content in sorted(members.items()) if name.endswith(".rules")]
    if not files:
        raise RulesetError(f"source {source}: the archive holds no .rules files", path)
    return files


def _extract(source: str, path: Path, max_bytes: int) -> dict[str, bytes]:
    if tarfile.is_tarfile(path):
        _check_tar(source, path, max_bytes)
        try:
            return extract.extract_tar(str(path))
        except (tarfile.TarError, EOFError, OSError, zlib_error()) as exc:
            raise RulesetError(f"source {source}: truncated or damaged archive ({exc})", path) from None
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                if sum(info.file_size for info in archive.infolist()) > max_bytes:
                    raise RulesetError(f"source {source}: archive unpacks to more than {max_bytes} bytes", path)
            return extract.extract_zip(str(path))
        except (zipfile.BadZipFile, EOFError, OSError, zlib_error()) as exc:
            raise RulesetError(f"source {source}: truncated or damaged zip ({exc})", path) from None
    raise RulesetError(f"source {source}: not a tar or zip archive and not a .rules file", path)


def _check_tar(source: str, path: Path, max_bytes: int) -> None:
    """Sizes of the members before anything is unpacked; a cut-off file fails here."""
    total = 0
    try:
        with tarfile.open(path, mode="r:*") as archive:
            for member in archive:
                total += member.size if member.isfile() else 0
                if total > max_bytes:
                    raise RulesetError(f"source {source}: archive unpacks to more than {max_bytes} bytes", path)
    except (tarfile.TarError, EOFError, OSError, zlib_error()) as exc:
        raise RulesetError(f"source {source}: truncated or damaged archive ({exc})", path) from None


def zlib_error():
    import zlib

    return zlib.error
