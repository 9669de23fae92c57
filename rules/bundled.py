"""Suricata's bundled rules (decoder, stream, app-layer events...) as the source "suricata".

suricata-update adds the rule files the Suricata distribution ships to every
update (`suricata.update.main.load_dist_rules`), from the first directory that
exists in its search order (`suricata.update.config.init`, the
DEFAULT_DIST_RULE_PATH list amended from `suricata --build-info`):

1. <--datarootdir>/suricata/rules   (/usr/share/suricata/rules)
2. <--sysconfdir>/suricata/rules    (/etc/suricata/rules: Debian's package)
3. suricata.config.defaults.datarulesdir, when that module is installed
4. /etc/suricata/rules

and only the files it knows Suricata's source to provide (DIST_FILES, the list
in load_dist_rules; ftp-events.rules, which Suricata 7 also ships, is not in
suricata-update 1.3.3's list and so is not read here either). The source is
the entry named "suricata" (kind "suricata") in sources.yaml: `enabled:`
turns it on and off as for any source, and `location:` is "" for "where
suricata-update looks" or the absolute path of another directory. A
directory that is not there is a warning, and the build goes on without it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from suricata.update import engine

from rules.sources import SourceFile
from rules.sources import BUNDLED as NAME
# suricata.update.main.load_dist_rules, suricata-update 1.3.3 (tests/rules/test_bundled.py compares the two)
DIST_FILES = (
    "app-layer-events.rules", "decoder-events.rules", "dhcp-events.rules", "dnp3-events.rules",
    "dns-events.rules", "files.rules", "http2-events.rules", "http-events.rules", "ipsec-events.rules",
    "kerberos-events.rules", "modbus-events.rules", "mqtt-events.rules", "nfs-events.rules",
    "ntp-events.rules", "quic-events.rules", "rfb-events.rules", "smb-events.rules", "smtp-events.rules",
    "ssh-events.rules", "stream-events.rules", "tls-events.rules",
)


def search_path(suricata: Path) -> list[Path]:
    """The directories suricata-update tries, in its order (suricata.update.config.init)."""
    paths = []
    try:
        from suricata.config import defaults  # installed with Suricata's own Python modules only

        paths.append(Path(defaults.datarulesdir))
    except ImportError:
        pass
    paths.append(Path("/etc/suricata/rules"))
    if suricata and os.access(suricata, os.X_OK):
        try:
            build_info = engine.get_build_info(str(suricata))
        except (OSError, ValueError, subprocess.CalledProcessError):
            build_info = {}
        # suricata-update inserts each at the front, the highest priority last
        if "sysconfdir" in build_info:
            paths.insert(0, Path(build_info["sysconfdir"]) / "suricata" / "rules")
        if "datarootdir" in build_info:
            paths.insert(0, Path(build_info["datarootdir"]) / "suricata" / "rules")
    return list(dict.fromkeys(paths))


def find_directory(location: str, suricata: Path) -> tuple[Path | None, list[Path]]:
    """(the directory to read or None, the directories looked at)."""
    candidates = [Path(location)] if location else search_path(suricata)
    for path in candidates:
        if path.exists():
            return path, candidates
    return None, candidates


def read(location: str, suricata: Path, max_bytes: int) -> tuple[list[SourceFile], list[str]]:
    """The bundled rule files as SourceFiles labelled "suricata/<file>", and the build's messages about them."""
    folder, looked = find_directory(location, suricata)
    if folder is None:
        places = ", ".join(str(p) for p in looked)
        return [], [f"warning: source {NAME}: Suricata's rules directory not found (looked in {places}); "
                    "building without Suricata's bundled rules"]
    if not folder.is_dir() or not os.access(folder, os.R_OK | os.X_OK):
        return [], [f"warning: source {NAME}: {folder} is not a readable directory; "
                    "building without Suricata's bundled rules"]
    files, messages, total = [], [], 0
    for name in DIST_FILES:
        path = folder / name
        if not path.exists():
            continue  # as suricata-update: each file only if this Suricata ships it
        try:
            content = path.read_bytes()
        except OSError as exc:
            messages.append(f"warning: source {NAME}: cannot read {path}: {exc.strerror}; file left out")
            continue
        total += len(content)
        if total > max_bytes:
            messages.append(f"warning: source {NAME}: more than {max_bytes} bytes of rules in {folder}; "
                            "building without Suricata's bundled rules")
            return [], messages
        files.append(SourceFile(NAME, f"{NAME}/{name}", content))
    if not files:
        messages.append(f"warning: source {NAME}: none of Suricata's rule files in {folder}; "
                        "building without Suricata's bundled rules")
    else:
        messages.append(f"info: source {NAME}: {len(files)} files of Suricata's bundled rules from {folder}")
    return files, messages
