"""What a lab made, recorded before it is made, so `down` can undo it after a crash.

The state file is rewritten (temp file + rename) before every step that
creates something, so it always names at least everything that exists.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from console.lab.errors import LabError

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}$")
NAMESPACE_PREFIX = "ops-lab-"
LINK_PREFIX = "ol"


@dataclass
class LabHost:
    name: str
    address: str
    namespace: str
    veth: str
    install_root: str
    sshd_dir: str


@dataclass
class LabState:
    name: str
    directory: str
    subnet_index: int
    bridge: str
    status: str = "creating"  # creating, up
    hosts: list[LabHost] = field(default_factory=list)

    @property
    def gateway(self) -> str:
        """The bridge's address: where the lab hosts reach the console."""
        return f"198.19.{self.subnet_index}.1"

    @property
    def prefix_length(self) -> int:
        return 24

    @property
    def state_file(self) -> Path:
        return Path(self.directory) / "state.json"

    @property
    def inventory_dir(self) -> Path:
        return Path(self.directory) / "inventory"

    @property
    def inventory_file(self) -> Path:
        return self.inventory_dir / "hosts.yml"

    @property
    def private_key(self) -> Path:
        return Path(self.directory) / "id_ed25519"

    @property
    def known_hosts(self) -> Path:
        return Path(self.directory) / "known_hosts"

    def save(self) -> None:
        path = self.state_file
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_suffix(".tmp")
        temp.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        os.replace(temp, path)


def check_name(name: str) -> str:
    if not NAME.match(name or ""):
        raise LabError(f"lab name {name!r}: use 1-31 lower-case letters, digits and '-', starting with a letter "
                       "or digit")
    return name


def lab_id(name: str) -> str:
    """Six hex digits naming the lab's links (Linux allows 15 characters per interface name)."""
    return hashlib.sha1(name.encode()).hexdigest()[:6]


def link_prefix(name: str) -> str:
    return f"{LINK_PREFIX}{lab_id(name)}"


def namespace_prefix(name: str) -> str:
    return f"{NAMESPACE_PREFIX}{name}-"


def lab_dir(var_dir: Path, name: str) -> Path:
    return Path(var_dir).resolve() / "lab" / check_name(name)


def merged_inventory_dir(var_dir: Path, name: str) -> Path:
    """Where `ops lab sync-inventory` writes the estate's inventory plus the lab's hosts (removed by down)."""
    return Path(var_dir).resolve() / "lab" / f"{check_name(name)}-with-estate"


def load(var_dir: Path, name: str) -> LabState | None:
    """The recorded state of lab `name`, or None when there is no state file."""
    path = lab_dir(var_dir, name) / "state.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise LabError(f"{path}: unreadable lab state ({exc}); `ops lab down --name {name}` still removes "
                       "leftovers by name") from None
    hosts = [LabHost(**host) for host in raw.pop("hosts", [])]
    return LabState(**raw, hosts=hosts)


def recorded_labs(var_dir: Path) -> list[str]:
    root = Path(var_dir).resolve() / "lab"
    if not root.is_dir():
        return []
    return sorted(p.parent.name for p in root.glob("*/state.json"))
