"""Reading an Ansible YAML inventory with the file and line of every fact.

A pure parser: it reads files and returns data, and touches no database.
Variables resolve as Ansible's VariableManager resolves inventory variables
(tests compare with `ansible-inventory --list`): inline vars of 'all', inline
vars of the host's other groups by (depth, ansible_group_priority, name), then
group_vars files in that order, inline host vars, host_vars files; a later
layer replaces a variable whole. It refuses what the console cannot use: a
host in two units, a host with two addresses, INI or dynamic inventories.
Input is hostile: plain YAML types only (`!vault` reads as VAULT_PLACEHOLDER,
never decrypted; `!unsafe` as a string; dates as ISO strings), and big files,
alias bombs and names reaching outside group_vars/ or host_vars/ are refused.
`InventoryHost.groups` holds every group of the host, 'all' included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from console.errors import InventoryError

__all__ = ["Inventory", "read_inventory"]

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_NODES = 200_000
VAULT_PLACEHOLDER = "<vault-encrypted>"
YAML_SUFFIXES = (".yml", ".yaml")
VARS_SUFFIXES = ("", ".yml", ".yaml", ".json")
# Files Ansible itself skips in an inventory folder (INVENTORY_IGNORE_EXTS).
IGNORED_SUFFIXES = (".md", ".txt", ".rst", ".cfg", ".bak", ".orig", ".retry", ".swp", ".pyc", ".pyo", ".rpm")
SKIPPED_FOLDERS = ("group_vars", "host_vars", "vars_plugins")
GROUP_KEYS = {"hosts", "vars", "children"}
PRIORITY = "ansible_group_priority"


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


class _Loader(yaml.SafeLoader):
    """SafeLoader whose values all fit a JSON column; Ansible's two tags read without effect."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp",
                        lambda loader, node: yaml.SafeLoader.construct_yaml_timestamp(loader, node).isoformat())
_Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))
_Loader.add_constructor("!vault", lambda loader, node: VAULT_PLACEHOLDER)
for _tag in ("binary", "set", "omap", "pairs"):
    del _Loader.yaml_constructors[f"tag:yaml.org,2002:{_tag}"]


class _Reader:
    """Collects groups, inline host vars and where each fact came from."""

    def __init__(self):
        self.groups = {"all": InventoryGroupDef("all"), "ungrouped": InventoryGroupDef("ungrouped", {"all"})}
        self.priorities: dict[str, int] = {}
        self.host_vars: dict[str, dict] = {}
        self.host_places: dict[str, dict[str, _Place]] = {}  # host -> group listing it -> where
        self.addresses: dict[str, tuple[str, _Place]] = {}

    def group(self, name: str, parent: str | None, place: _Place) -> InventoryGroupDef:
        group = self.groups.setdefault(name, InventoryGroupDef(name))
        if parent and parent not in group.parents:
            if name == parent or name in _ancestors(self.groups, parent):
                raise InventoryError(place.path, f"group {name!r} would be its own ancestor (through {parent!r})",
                                     place.line)
            group.parents.add(parent)
        return group

    def read_group(self, path: Path, key_node, node, parent: str | None) -> None:
        name = _name(path, key_node, "group")
        group = self.group(name, parent, _Place(path, _line(key_node)))
        for section_node, value in _mapping(path, node, f"group {name!r}"):
            key = section_node.value
            if key not in GROUP_KEYS:
                raise InventoryError(path, f"group {name!r}: unknown key {key!r} (use hosts, vars or children)",
                                     _line(section_node))
            if key == "vars":
                self.read_group_vars(path, group, value)
            elif key == "children":
                for child_key, child in _mapping(path, value, f"children of group {name!r}"):
                    self.read_group(path, child_key, child, name)
            else:
                for host_key, host in _mapping(path, value, f"hosts of group {name!r}"):
                    self.read_host(path, host_key, host, group)

    def read_group_vars(self, path: Path, group: InventoryGroupDef, node) -> None:
        """Inline group vars; ansible_group_priority orders groups, as in Ansible it is no variable."""
        variables = _vars(path, node, f"vars of group {group.name!r}")
        if PRIORITY in variables:
            priority = variables.pop(PRIORITY)
            if not isinstance(priority, int) or isinstance(priority, bool):
                raise InventoryError(path, f"{PRIORITY} of group {group.name!r} must be an integer",
                                     _key_line(node, PRIORITY))
            self.priorities[group.name] = priority
        group.variables.update(variables)

    def read_host(self, path: Path, key_node, node, group: InventoryGroupDef) -> None:
        name = _name(path, key_node, "host")
        group.hosts.add(name)
        self.host_places.setdefault(name, {}).setdefault(group.name, _Place(path, _line(key_node)))
        variables = _vars(path, node, f"host {name!r}")
        address, seen = variables.get("ansible_host"), self.addresses.get(name)
        if address is not None and seen and seen[0] != address:
            first = seen[1]
            raise InventoryError(path, f"host {name!r} has two addresses: {seen[0]!r} ({first.path}:{first.line}) "
                                       f"and {address!r}", _key_line(node, "ansible_host"))
        if address is not None and not seen:
            self.addresses[name] = (address, _Place(path, _key_line(node, "ansible_host")))
        self.host_vars.setdefault(name, {}).update(variables)

    def finish(self, unit_group: str, role_group: str) -> None:
        """Ansible's reconcile step (top groups join 'all', lone hosts 'ungrouped'); kinds of groups."""
        for name, group in self.groups.items():
            if name != "all" and not group.parents:
                group.parents.add("all")
            group.kind = "unit" if unit_group in group.parents else "role" if role_group in group.parents else "group"
        ungrouped = self.groups["ungrouped"]
        for name, places in self.host_places.items():
            if set(places) - {"all", "ungrouped"}:
                places.pop("ungrouped", None)
                ungrouped.hosts.discard(name)
            else:
                places.setdefault("ungrouped", next(iter(places.values())))
                ungrouped.hosts.add(name)


def read_inventory(path: Path | str, unit_group: str = "units", role_group: str = "roles") -> Inventory:
    """Read an inventory directory (or one YAML file) and resolve every host."""
    path = Path(path)
    reader = _Reader()
    for source in _inventory_sources(path):
        for key_node, value in _mapping(source, _compose(source), "the inventory"):
            reader.read_group(source, key_node, value, None)
    reader.finish(unit_group, role_group)
    base = path if path.is_dir() else path.parent
    group_files = {name: _vars_for(base / "group_vars", name) for name in reader.groups}
    host_files = {name: _vars_for(base / "host_vars", name) for name in reader.host_vars}
    order = _group_order(reader)
    hosts = {name: _resolve_host(reader, name, order, group_files, host_files) for name in sorted(reader.host_vars)}
    for name, group in reader.groups.items():
        group.variables = {**group.variables, **group_files[name]}
    return Inventory(hosts=hosts, groups=reader.groups)


def _inventory_sources(path: Path) -> list[Path]:
    if not path.exists():
        raise InventoryError(path, "inventory not found")
    sources = _folder_sources(path) if path.is_dir() else [_yaml_source(path)]
    if not sources:
        raise InventoryError(path, "no .yml or .yaml inventory file found")
    return sources


def _folder_sources(folder: Path) -> list[Path]:
    """The files Ansible would read from an inventory folder, each required to be YAML."""
    found = []
    for entry in sorted(folder.iterdir()):
        name = entry.name
        if name.startswith(".") or name.endswith("~") or name in SKIPPED_FOLDERS or entry.suffix in IGNORED_SUFFIXES:
            continue
        found.extend(_folder_sources(entry) if entry.is_dir() else [_yaml_source(entry)])
    return found


def _yaml_source(path: Path) -> Path:
    if path.suffix not in YAML_SUFFIXES:
        raise InventoryError(path, "only YAML inventories (.yml, .yaml) are supported; convert this file")
    return path


def _read_text(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise InventoryError(path, f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InventoryError(path, "not UTF-8 text") from None
    except OSError as exc:
        raise InventoryError(path, f"cannot read: {exc.strerror}") from None


def _compose(path: Path):
    text = _read_text(path)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise InventoryError(path, f"YAML error: {exc.problem or exc.context}", line) from None
    except yaml.YAMLError as exc:
        raise InventoryError(path, f"YAML error: {exc}") from None
    except RecursionError:
        raise InventoryError(path, "YAML error: nested too deeply") from None
    _check_size(path, root)
    return root


def _check_size(path: Path, root) -> None:
    """Count nodes as they would be built, aliases expanded: a small file must not become a huge value."""
    stack, count = [root] if root is not None else [], 0
    while stack:
        node = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise InventoryError(path, f"more than {MAX_NODES} values once aliases are expanded; refusing it",
                                 _line(root))
        if isinstance(node, yaml.MappingNode):
            stack.extend(part for pair in node.value for part in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def _plain(path: Path, node, what: str):
    """A node's value as plain Python data (safe tags only, see _Loader)."""
    if _is_null(node):
        return None
    try:
        return _Loader("").construct_document(node)
    except yaml.YAMLError as exc:
        raise InventoryError(path, f"{what}: {exc}", _line(node)) from None


def _vars(path: Path, node, what: str) -> dict:
    """A mapping of variables with string names, where ansible_host is a non-empty string."""
    data = _plain(path, node, what)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InventoryError(path, f"{what}: expected a mapping of variables or nothing", _line(node))
    for key in data:
        if not isinstance(key, str):
            raise InventoryError(path, f"{what}: variable names must be strings, not {key!r}", _line(node))
    address = data.get("ansible_host", "")
    if "ansible_host" in data and (not isinstance(address, str) or not address.strip()):
        raise InventoryError(path, f"{what}: ansible_host must be a non-empty string", _key_line(node, "ansible_host"))
    return data


def _mapping(path: Path, node, what: str) -> list:
    if _is_null(node):
        return []
    if not isinstance(node, yaml.MappingNode):
        raise InventoryError(path, f"{what}: expected a mapping", _line(node))
    return node.value


def _name(path: Path, node, what: str) -> str:
    """A group or host name; it must not reach outside group_vars/ or host_vars/."""
    value = node.value if isinstance(node, yaml.ScalarNode) else ""
    if not value.strip() or "/" in value or "\\" in value or value.startswith("."):
        raise InventoryError(path, f"a {what} name must be a non-empty string without '/', '\\' or a leading '.'",
                             _line(node))
    return value


def _is_null(node) -> bool:
    return node is None or (isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null")


def _line(node) -> int:
    return node.start_mark.line + 1


def _key_line(node, key: str) -> int:
    for key_node, _value in node.value:
        if key_node.value == key:
            return _line(key_node)
    return _line(node)


def _vars_for(folder: Path, name: str) -> dict:
    """What Ansible's host_group_vars plugin loads for a name: the first of NAME (file or
    folder), NAME.yml, NAME.yaml, NAME.json; a folder's files in name order, later ones winning."""
    variables: dict = {}
    for suffix in VARS_SUFFIXES:
        candidate = folder / f"{name}{suffix}"
        if candidate.exists():
            for part in _folder_files(candidate) if candidate.is_dir() else [candidate]:
                variables.update(_vars(part, _compose(part), "variables file"))
            break
    return variables


def _folder_files(folder: Path) -> list[Path]:
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.name.endswith("~"):
            continue
        if entry.is_dir() and not entry.suffix:
            found.extend(_folder_files(entry))
        elif entry.is_file() and entry.suffix in VARS_SUFFIXES:
            found.append(entry)
    return found


def _ancestors(groups: dict[str, InventoryGroupDef], name: str) -> set[str]:
    found, stack = set(), [name]
    while stack:
        for parent in groups[stack.pop()].parents:
            if parent not in found:
                found.add(parent)
                stack.append(parent)
    return found


def _group_order(reader: _Reader) -> dict[str, tuple]:
    """Ansible's sort key of each group: (depth, ansible_group_priority, name)."""
    depths: dict[str, int] = {"all": 0}

    def depth(name: str) -> int:
        if name not in depths:
            depths[name] = 1 + max(depth(parent) for parent in reader.groups[name].parents)
        return depths[name]

    return {name: (depth(name), reader.priorities.get(name, 1), name) for name in reader.groups}


def _second_unit_place(reader: _Reader, name: str, units: list[str]) -> _Place:
    """Where the host is first put into the unit it joins last: the line to fix."""
    firsts = []
    for unit in units:
        places = [place for group, place in reader.host_places[name].items()
                  if group == unit or unit in _ancestors(reader.groups, group)]
        firsts.append(min(places, key=lambda p: (str(p.path), p.line)))
    return max(firsts, key=lambda p: (str(p.path), p.line))


def _resolve_host(reader: _Reader, name: str, order, group_files, host_files) -> InventoryHost:
    groups = reader.groups
    member_of = {"all"}
    for group in reader.host_places[name]:
        member_of |= {group} | _ancestors(groups, group)
    ordered = sorted(member_of - {"all"}, key=order.__getitem__)
    layers = [groups["all"].variables, *(groups[g].variables for g in ordered),
              group_files["all"], *(group_files[g] for g in ordered), reader.host_vars[name], host_files[name]]
    variables: dict = {}
    for layer in layers:
        variables.update(layer)
    units = sorted(g for g in member_of if groups[g].kind == "unit")
    if len(units) > 1:
        place = _second_unit_place(reader, name, units)
        raise InventoryError(place.path, f"host {name!r} is in two units: {', '.join(units)}; "
                                         "a host belongs to one unit", place.line)
    return InventoryHost(
        name=name,
        address=str(variables.get("ansible_host", name)),
        unit=units[0] if units else "",
        roles=sorted(g for g in member_of if groups[g].kind == "role"),
        groups=sorted(member_of),
        variables=variables,
    )
