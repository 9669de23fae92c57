"""Reading an Ansible YAML inventory with the file and line of every fact.

A pure parser: it reads files and returns data, and touches no database.
It resolves inventory variables the way Ansible does for group_vars,
host_vars and inline vars (a test checks it against `ansible-inventory
--list` for every host), and it refuses what Ansible would silently accept
but the console cannot: a host in two units, one host given two addresses.
Only YAML inventories are read; INI and dynamic inventories are refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from console.errors import InventoryError

MAX_FILE_BYTES = 5 * 1024 * 1024
YAML_SUFFIXES = (".yml", ".yaml")
GROUP_KEYS = {"hosts", "vars", "children"}


@dataclass
class InventoryGroupDef:
    name: str
    parents: set[str] = field(default_factory=set)
    kind: str = "group"  # unit, role or group
    variables: dict = field(default_factory=dict)
    hosts: set[str] = field(default_factory=set)


@dataclass
class InventoryHost:
    name: str
    address: str = ""
    unit: str = ""
    roles: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)  # every group the host is in, 'all' included
    variables: dict = field(default_factory=dict)


@dataclass
class Inventory:
    hosts: dict[str, InventoryHost]
    groups: dict[str, InventoryGroupDef]


@dataclass
class _Place:
    path: Path
    line: int


class _Reader:
    """Collects groups, inline host vars and where each fact came from."""

    def __init__(self):
        self.groups: dict[str, InventoryGroupDef] = {"all": InventoryGroupDef("all")}
        self.host_vars: dict[str, dict] = {}
        self.host_places: dict[str, dict[str, _Place]] = {}  # host -> group listing it -> where
        self.addresses: dict[str, tuple[str, _Place]] = {}

    def group(self, name: str) -> InventoryGroupDef:
        return self.groups.setdefault(name, InventoryGroupDef(name))

    def read_group(self, path: Path, name: str, node, parent: str | None) -> None:
        group = self.group(name)
        if parent:
            group.parents.add(parent)
        if node is None or _is_null(node):
            return
        mapping = _mapping(path, node, f"group {name!r}")
        for key_node, value in mapping:
            key = key_node.value
            if key not in GROUP_KEYS:
                raise InventoryError(path, f"group {name!r}: unknown key {key!r} (use hosts, vars or children)",
                                     _line(key_node))
            if key == "vars":
                group.variables.update(_plain(path, value, f"vars of group {name!r}") or {})
            elif key == "children":
                for child_key, child in _mapping(path, value, f"children of group {name!r}"):
                    self.read_group(path, _name(path, child_key, "group"), child, name)
            else:
                for host_key, host in _mapping(path, value, f"hosts of group {name!r}"):
                    self.read_host(path, host_key, host, group)

    def read_host(self, path: Path, key_node, node, group: InventoryGroupDef) -> None:
        name = _name(path, key_node, "host")
        place = _Place(path, _line(key_node))
        group.hosts.add(name)
        self.host_places.setdefault(name, {}).setdefault(group.name, place)
        variables = _plain(path, node, f"host {name!r}") if node is not None else None
        if variables is None:
            self.host_vars.setdefault(name, {})
            return
        if not isinstance(variables, dict):
            raise InventoryError(path, f"host {name!r}: expected a mapping of variables or nothing", place.line)
        self._check_address(path, name, variables, node)
        self.host_vars.setdefault(name, {}).update(variables)

    def _check_address(self, path: Path, name: str, variables: dict, node) -> None:
        if "ansible_host" not in variables:
            return
        address = variables["ansible_host"]
        line = _key_line(node, "ansible_host")
        if not isinstance(address, str) or not address.strip():
            raise InventoryError(path, f"host {name!r}: ansible_host must be a non-empty string", line)
        seen = self.addresses.get(name)
        if seen and seen[0] != address:
            first = seen[1]
            raise InventoryError(
                path, f"host {name!r} has two addresses: {seen[0]!r} ({first.path}:{first.line}) and {address!r}", line
            )
        self.addresses.setdefault(name, (address, _Place(path, line)))


def read_inventory(path: Path | str, unit_group: str = "units", role_group: str = "roles") -> Inventory:
    """Read an inventory directory (or one YAML file) and resolve every host."""
    path = Path(path)
    reader = _Reader()
    for source in _inventory_sources(path):
        _read_source(reader, source)
    base = path if path.is_dir() else path.parent
    _check_cycles(reader.groups)
    group_files = _vars_files(base / "group_vars")
    host_files = _vars_files(base / "host_vars")
    _classify(reader.groups, unit_group, role_group)
    hosts = {
        name: _resolve_host(reader, name, group_files, host_files, unit_group, role_group)
        for name in sorted(reader.host_vars)
    }
    for name, group in reader.groups.items():
        group.variables = {**group.variables, **group_files.get(name, {})}
    return Inventory(hosts=hosts, groups=reader.groups)


def _inventory_sources(path: Path) -> list[Path]:
    if not path.exists():
        raise InventoryError(path, "inventory not found")
    if path.is_file():
        return [path]
    sources = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    yaml_sources = [p for p in sources if p.suffix in YAML_SUFFIXES]
    others = [p for p in sources if p.suffix not in YAML_SUFFIXES and p.suffix not in (".md", ".txt", ".cfg")]
    if others:
        raise InventoryError(others[0], "only YAML inventories (.yml, .yaml) are supported; convert this file")
    if not yaml_sources:
        raise InventoryError(path, "no .yml or .yaml inventory file found")
    return yaml_sources


def _read_source(reader: _Reader, path: Path) -> None:
    root = _compose(path)
    if root is None or _is_null(root):
        return
    for key_node, value in _mapping(path, root, "the inventory"):
        reader.read_group(path, _name(path, key_node, "group"), value, None if key_node.value == "all" else "all")


def _compose(path: Path):
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InventoryError(path, f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InventoryError(path, "not UTF-8 text") from None
    except OSError as exc:
        raise InventoryError(path, f"cannot read: {exc.strerror}") from None
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise InventoryError(path, f"YAML error: {exc.problem or exc.context}", mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise InventoryError(path, f"YAML error: {exc}") from None


def _plain(path: Path, node, what: str):
    """A node's value as plain Python data (SafeLoader: no arbitrary tags)."""
    if node is None or _is_null(node):
        return None
    try:
        return yaml.SafeLoader("").construct_document(node)
    except yaml.YAMLError as exc:
        raise InventoryError(path, f"{what}: {exc}", _line(node)) from None


def _mapping(path: Path, node, what: str) -> list:
    if _is_null(node):
        return []
    if not isinstance(node, yaml.MappingNode):
        raise InventoryError(path, f"{what}: expected a mapping", _line(node))
    return node.value


def _name(path: Path, node, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise InventoryError(path, f"a {what} name must be a non-empty string", _line(node))
    return str(node.value)


def _is_null(node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _line(node) -> int:
    return node.start_mark.line + 1


def _key_line(node, key: str) -> int:
    for key_node, _value in node.value:
        if key_node.value == key:
            return _line(key_node)
    return _line(node)


def _vars_files(folder: Path) -> dict[str, dict]:
    """group_vars/NAME.yml, NAME.yaml, NAME (no suffix) or NAME/*.yml, keyed by NAME."""
    found: dict[str, dict] = {}
    if not folder.is_dir():
        return found
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            for part in sorted(p for p in entry.iterdir() if p.suffix in YAML_SUFFIXES):
                found.setdefault(entry.name, {}).update(_vars_file(part))
        elif entry.suffix in YAML_SUFFIXES or not entry.suffix:
            found.setdefault(entry.stem if entry.suffix else entry.name, {}).update(_vars_file(entry))
    return found


def _vars_file(path: Path) -> dict:
    node = _compose(path)
    data = _plain(path, node, "variables") if node is not None else None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InventoryError(path, "a vars file must hold a mapping of variables", _line(node))
    return data


def _check_cycles(groups: dict[str, InventoryGroupDef]) -> None:
    for name in groups:
        seen, stack = set(), [name]
        while stack:
            for parent in groups[stack.pop()].parents:
                if parent == name:
                    raise InventoryError("inventory", f"group {name!r} is its own ancestor")
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)


def _ancestors(groups: dict[str, InventoryGroupDef], name: str) -> set[str]:
    found, stack = set(), [name]
    while stack:
        for parent in groups[stack.pop()].parents:
            if parent not in found:
                found.add(parent)
                stack.append(parent)
    return found


def _depth(groups: dict[str, InventoryGroupDef], name: str) -> int:
    if name == "all":
        return 0
    parents = groups[name].parents or {"all"}
    return 1 + max(_depth(groups, parent) for parent in parents)


def _classify(groups: dict[str, InventoryGroupDef], unit_group: str, role_group: str) -> None:
    for group in groups.values():
        if unit_group in group.parents:
            group.kind = "unit"
        elif role_group in group.parents:
            group.kind = "role"


def _second_unit_place(reader: _Reader, name: str, units: list[str]) -> _Place:
    """Where the host is first put into the unit it joins last: the line to fix."""
    firsts = []
    for unit in units:
        places = [place for group, place in reader.host_places[name].items()
                  if group == unit or unit in _ancestors(reader.groups, group)]
        firsts.append(min(places, key=lambda p: (str(p.path), p.line)))
    return max(firsts, key=lambda p: (str(p.path), p.line))


def _resolve_host(reader: _Reader, name: str, group_files, host_files, unit_group, role_group) -> InventoryHost:
    groups = reader.groups
    direct = {g for g, group in groups.items() if name in group.hosts}
    member_of = set(direct) | {"all"}
    for group in direct:
        member_of |= _ancestors(groups, group)
    ordered = sorted(member_of, key=lambda g: (_depth(groups, g), g))
    variables: dict = {}
    for group in ordered:
        variables.update(groups[group].variables)
        variables.update(group_files.get(group, {}))
    variables.update(reader.host_vars.get(name, {}))
    variables.update(host_files.get(name, {}))
    units = sorted(g for g in member_of if groups[g].kind == "unit")
    if len(units) > 1:
        place = _second_unit_place(reader, name, units)
        raise InventoryError(place.path, f"host {name!r} is in two units: {', '.join(units)}; a host belongs to one unit",
                             place.line)
    address = variables.get("ansible_host", name)
    return InventoryHost(
        name=name,
        address=str(address),
        unit=units[0] if units else "",
        roles=sorted(g for g in member_of if groups[g].kind == "role"),
        groups=sorted(member_of),
        variables=variables,
    )
