"""Which playbooks may run, and which inventory hosts a job will touch, known before it runs.

Host patterns are resolved by Ansible's own InventoryManager, so `--limit`
means here exactly what it means to ansible-playbook. The hosts a job holds
are its plays' `hosts:` patterns intersected with the limit; where a play's
hosts cannot be known without running it (a templated pattern, an
import_playbook, a file that does not parse) the whole limit is held, which
refuses too much rather than too little.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import yaml

from console.errors import InventoryError, ValidationFailed

__all__ = ["list_playbooks"]

PLAYBOOK_SUFFIXES = (".yml", ".yaml")
MAX_PLAYBOOK_BYTES = 1024 * 1024
MAX_PATTERN = 1024


# Sub-folders whose files are playbooks too (named "remediate/x.yml"): the controls' remediations.
PLAYBOOK_FOLDERS = ("remediate",)


def list_playbooks(playbooks_dir: Path) -> list[str]:
    """The playbook files directly in playbooks_dir and in its remediate/ folder (roles and vars are not playbooks)."""
    if not playbooks_dir.is_dir():
        return []
    found = [p.name for p in playbooks_dir.iterdir() if _is_playbook(p)]
    for folder in PLAYBOOK_FOLDERS:
        if (playbooks_dir / folder).is_dir() and not (playbooks_dir / folder).is_symlink():
            found += [f"{folder}/{p.name}" for p in (playbooks_dir / folder).iterdir() if _is_playbook(p)]
    return sorted(found)


def _is_playbook(path: Path) -> bool:
    return path.is_file() and path.suffix in PLAYBOOK_SUFFIXES and not path.name.startswith(".")


def playbook_path(playbooks_dir: Path, name: str) -> Path:
    """The file of a playbook named by the user; only names from list_playbooks are accepted."""
    available = list_playbooks(playbooks_dir)
    if name not in available:
        choices = ", ".join(available) or f"none: {playbooks_dir} has no .yml playbook"
        raise ValidationFailed("playbook", f"unknown playbook {name!r} (choose one of: {choices})")
    return playbooks_dir / name


def check_pattern(field: str, value: str) -> str:
    value = value.strip()
    if len(value) > MAX_PATTERN or any(ch in value for ch in "\n\r\0"):
        raise ValidationFailed(field, f"must be one line of at most {MAX_PATTERN} characters")
    return value


def target_hosts(inventory_path: Path, playbook: Path, limit: str) -> list[str]:
    """Inventory host names the job will run on; refuses a limit that matches none."""
    manager = _inventory(inventory_path)
    with _quiet():
        everyone = {h.name for h in manager.get_hosts("all")}
        if not everyone:
            raise InventoryError(inventory_path, "no hosts found in the inventory (is it readable YAML or INI?)")
        limited = {h.name for h in manager.get_hosts(limit)} if limit else everyone
        if not limited:
            raise ValidationFailed("limit", f"--limit {limit!r} names no host of the inventory {inventory_path}")
        played = set()
        for pattern in _play_patterns(playbook):
            played |= {h.name for h in manager.get_hosts(pattern)}
    chosen = sorted(limited & played)
    if not chosen:
        raise ValidationFailed("limit", f"no host matches both the playbook's hosts and --limit {limit or 'all'!r}")
    return chosen


def _inventory(path: Path):
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader

    if not path.exists():
        raise InventoryError(path, "inventory not found")
    with _quiet():
        return InventoryManager(loader=DataLoader(), sources=[str(path)])


@contextlib.contextmanager
def _quiet():
    """Ansible prints pattern warnings on stderr; our callers turn them into errors instead."""
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        yield


def _play_patterns(playbook: Path) -> list[str]:
    try:
        if playbook.stat().st_size > MAX_PLAYBOOK_BYTES:
            return ["all"]
        plays = yaml.safe_load(playbook.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return ["all"]  # the run itself reports the error, with Ansible's file and line
    if not isinstance(plays, list):
        return ["all"]
    patterns = []
    for play in plays:
        hosts = play.get("hosts") if isinstance(play, dict) else None
        if isinstance(hosts, list):
            hosts = ",".join(str(h) for h in hosts)
        if not isinstance(hosts, str) or "{{" in hosts or "{%" in hosts:
            return ["all"]
        patterns.append(hosts)
    return patterns or ["all"]
