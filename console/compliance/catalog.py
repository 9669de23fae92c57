"""The controls catalog: YAML files validated against a schema, loaded once at start.

Every file in the controls folder (`*.yaml`) holds `controls: [...]`. A file
with an unknown field, a wrong type, a duplicate key or id, or a condition
that does not compile is refused as a whole with a CatalogError naming the
file and line, so a broken catalog never half-loads.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from console.compliance.conditions import Check, ConditionError, compile_condition, fields_read, parse_duration
from console.errors import OpsError
from console.jobs.targets import list_playbooks

__all__ = ["Catalog", "LoadedControl", "configured_catalog"]

BUILT_IN = Path(__file__).resolve().parent / "controls"
# The playbooks a remediation may name: the repository's own, unless [jobs] playbooks_dir says otherwise.
BUILT_IN_PLAYBOOKS = Path(__file__).resolve().parents[2] / "playbooks"
MAX_FILE_BYTES = 512 * 1024
Category = Literal["firewall", "ups", "endpoint", "ids", "server", "logging_backup", "availability"]
Severity = Literal["low", "medium", "high", "critical"]
SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}
CATEGORIES = ("firewall", "ups", "endpoint", "ids", "server", "logging_backup", "availability")
Source = Literal["agent_report", "device", "rule_manager", "alert_pipeline", "endpoints", "availability"]


class CatalogError(OpsError):
    """A control file that cannot be used; carries file and line."""

    exit_code = 2

    def __init__(self, path: Path, message: str, line: int | None = None):
        self.path, self.line, self.message = path, line, message
        super().__init__(f"{path}{f':{line}' if line else ''}: {message}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    vi: str = Field(min_length=1, max_length=600)
    en: str = Field(min_length=1, max_length=600)


class AppliesTo(_Strict):
    """Who a control is about: all active hosts, hosts in any of `groups`, hosts with `variable` set (to
    `equals`, when given: `{variable: ops_ids_mode, equals: ips}`), or devices."""

    all_hosts: bool = False
    groups: list[str] = []
    variable: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
    equals: str | None = Field(None, min_length=1, max_length=64)
    # service: the services ops.toml's [availability] declares (console.compliance.evidence.services)
    devices: Literal["ups", "firewall", "endpoint_coverage", "endpoint", "uplink", "room", "service"] | None = None

    @model_validator(mode="after")
    def _one_target(self):
        chosen = [bool(self.all_hosts), bool(self.groups or self.variable), self.devices is not None]
        if sum(chosen) != 1:
            raise ValueError("give exactly one of all_hosts, groups/variable, devices")
        if self.equals is not None and not self.variable:
            raise ValueError("equals needs the variable it compares")
        return self


class Evidence(_Strict):
    source: Source
    max_age: str

    @model_validator(mode="after")
    def _duration(self):
        try:
            parse_duration(self.max_age)
        except ConditionError as exc:
            raise ValueError(f"max_age: {exc.message}") from None
        return self


class Mappings(_Strict):
    tcvn_11930: list[str] = []
    tt_12_2022: list[str] = []
    cis_v8: list[str] = []
    nist_800_53: list[str] = []
    iso_27001_2013: list[str] = []


class Remediation(_Strict):
    """How Ansible fixes a control: a playbook under playbooks/remediate/, or a role of site.yml by its tags.

    `vars` are passed as extra variables. Whether the playbook, role and tags
    exist is checked when the catalog loads (`check_remediations`).
    """

    playbook: str | None = Field(None, pattern=r"^remediate/[A-Za-z0-9_][A-Za-z0-9_.\-]{0,100}\.ya?ml$")
    role: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
    tags: list[str] = Field([], max_length=10)
    vars: dict[str, str] = Field({}, max_length=20)

    @model_validator(mode="after")
    def _one_way(self):
        if (self.playbook is None) == (self.role is None):
            raise ValueError("give exactly one of playbook, role")
        if self.role and not self.tags:
            raise ValueError("a role remediation names the site.yml tags that run it")
        for tag in self.tags:
            if not tag.replace("_", "").isalnum():
                raise ValueError(f"tag {tag!r}: letters, digits and _ only")
        for name in self.vars:
            if not name.isidentifier():
                raise ValueError(f"vars: {name!r} is not a variable name")
        return self

    def describe(self) -> str:
        """How it runs, as an operator would type it: `remediate/x.yml` or `site.yml --tags a,b`."""
        line = self.playbook if self.playbook else f"site.yml --tags {','.join(self.tags)}"
        if self.playbook and self.tags:
            line += f" --tags {','.join(self.tags)}"
        return line + "".join(f" -e {name}={value}" for name, value in sorted(self.vars.items()))

    @property
    def job_playbook(self) -> str:
        """The playbook the jobs run, relative to the playbooks folder."""
        return self.playbook or "site.yml"


class Control(_Strict):
    id: str = Field(pattern=r"^[A-Z]{2,6}-[A-Z0-9]{1,8}(-[A-Z0-9]{1,8})?$")
    title: Text
    rationale: Text
    category: Category
    severity: Severity
    applies_to: AppliesTo
    evidence: Evidence
    condition: dict
    mappings: Mappings = Mappings()
    remediation: Remediation | None = None

    @model_validator(mode="after")
    def _devices_need_device_evidence(self):
        endpoints = self.applies_to.devices in ("endpoint_coverage", "endpoint")
        if endpoints != (self.evidence.source == "endpoints"):
            raise ValueError("applies_to.devices endpoint_coverage or endpoint and evidence.source: endpoints go together")
        services = self.applies_to.devices == "service"
        if services != (self.evidence.source == "availability"):
            raise ValueError("applies_to.devices service and evidence.source: availability go together")
        if not (endpoints or services) and (self.applies_to.devices is not None) != (self.evidence.source == "device"):
            raise ValueError("applies_to.devices and evidence.source: device go together")
        if self.remediation is not None and self.evidence.source != "agent_report":
            raise ValueError("remediation: only controls on hosts' agent reports can be fixed with Ansible")
        return self


class ControlFile(_Strict):
    controls: list[Control] = Field(min_length=1)


@dataclass(frozen=True)
class LoadedControl:
    """A validated control with its condition compiled and its limits parsed."""

    spec: Control
    check: Check = field(repr=False)
    max_age: timedelta
    fields: tuple[str, ...]
    source_file: str

    @property
    def id(self) -> str:
        return self.spec.id


@dataclass(frozen=True)
class Catalog:
    controls: tuple[LoadedControl, ...]
    digest: str

    def by_id(self) -> dict[str, LoadedControl]:
        return {control.id: control for control in self.controls}


def load_catalog(folder: Path | None = None, playbooks: Path | None = None) -> Catalog:
    """Every *.yaml in `folder` (default: the built-in catalog), validated and compiled; CatalogError otherwise.

    Remediations are checked against `playbooks` (default: the repository's playbooks/). A console installed
    from its wheel (the ops_console role) has no repository beside the package: without `playbooks` the
    remediations are then not checked here (configured_catalog checks them against [jobs] playbooks_dir).
    """
    folder = Path(folder) if folder else BUILT_IN
    if playbooks is None and not BUILT_IN_PLAYBOOKS.is_dir():
        known = None
    else:
        known = PlaybookIndex(Path(playbooks) if playbooks else BUILT_IN_PLAYBOOKS)
    files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    if not files:
        raise CatalogError(folder, "no control files (*.yaml) found")
    digest, controls, seen = hashlib.sha256(), [], {}
    for path in files:
        text = _read(path)
        digest.update(path.name.encode() + b"\0" + text.encode())
        for control in _load_file(path, text, known):
            if control.id in seen:
                raise CatalogError(path, f"control id {control.id} is already defined in {seen[control.id]}")
            seen[control.id] = path.name
            controls.append(control)
    return Catalog(tuple(controls), digest.hexdigest()[:16])


def configured_catalog(settings) -> Catalog:
    """The catalog ops.toml names. The built-in controls name the built-in playbooks; a department's own
    controls folder ([compliance] controls_dir) is checked against its [jobs] playbooks_dir, and so are the
    built-in controls of a console installed from its wheel, where the role put the same playbooks."""
    folder = settings.compliance.controls_dir
    configured = folder or not BUILT_IN_PLAYBOOKS.is_dir()
    return load_catalog(folder, settings.jobs.playbooks_dir if configured else None)


@lru_cache(maxsize=4)
def cached_catalog(folder: str | None = None, playbooks: str | None = None) -> Catalog:
    """The catalog loaded once per process (the console loads it at start)."""
    return load_catalog(Path(folder) if folder else None, Path(playbooks) if playbooks else None)


def _read(path: Path) -> str:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise CatalogError(path, f"larger than {MAX_FILE_BYTES} bytes")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CatalogError(path, "not UTF-8 text") from None


# libyaml's parser where PyYAML has it (its wheels do): the catalog is read at every start of the console and of
# `ops`, and the pure-Python parser took about 0.2 s of CPU for it, twice over.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compose_and_construct(text: str):
    """(node tree with line numbers, plain data) from one parse, as yaml.compose and yaml.safe_load give them."""
    loader = _SAFE_LOADER(text)
    try:
        root = loader.get_single_node()
        return root, (loader.construct_document(root) if root is not None else None)
    finally:
        loader.dispose()


def parse_yaml_file(path: Path, text: str, model: type[BaseModel]):
    """(YAML node tree, validated model) of a data file; any error names the file, line and field.

    Shared by the controls catalog and the requirement files: the node tree
    keeps line numbers for the checks that come after validation.
    """
    try:
        root, data = _compose_and_construct(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise CatalogError(path, f"not valid YAML: {getattr(exc, 'problem', exc)}",
                           mark.line + 1 if mark else None) from None
    _refuse_duplicate_keys(path, root)
    try:
        return root, model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = list(first["loc"])
        message = "unknown field" if first["type"] == "extra_forbidden" else first["msg"]
        raise CatalogError(path, f"{_dotted(loc)}: {message}", _line(root, loc)) from None


def _load_file(path: Path, text: str, known: "PlaybookIndex | None") -> list[LoadedControl]:
    root, parsed = parse_yaml_file(path, text, ControlFile)
    loaded = []
    for index, control in enumerate(parsed.controls):
        try:
            check = compile_condition(control.condition)
        except ConditionError as exc:
            loc = ["controls", index, "condition", *exc.path]
            raise CatalogError(path, f"{control.id}: {exc}", _line(root, loc)) from None
        if control.remediation is not None and known is not None:
            problem = known.problem(control.remediation)
            if problem:
                field_name, message = problem
                raise CatalogError(path, f"{control.id}: remediation.{field_name}: {message}",
                                   _line(root, ["controls", index, "remediation", field_name]))
        loaded.append(LoadedControl(control, check, parse_duration(control.evidence.max_age),
                                    tuple(fields_read(control.condition)), path.name))
    return loaded


class PlaybookIndex:
    """What a remediation may name: playbooks under remediate/, site.yml's roles, and the tags each defines.

    Tags are read from the YAML itself (plays, role entries, tasks, blocks,
    and every task file of a role), so a tag nobody defines is refused rather
    than silently running nothing (`ansible-playbook --tags` ignores unknown tags).
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self._tags: dict[Path, set[str]] = {}
        self._playbooks: set[str] | None = None

    def problem(self, remediation: Remediation) -> tuple[str, str] | None:
        if not self.folder.is_dir():
            return "playbook" if remediation.playbook else "role", f"no playbooks folder {self.folder}"
        if remediation.playbook:
            if remediation.playbook not in self.playbooks():
                return "playbook", f"no playbook {remediation.playbook} in {self.folder}"
            defined = self.tags_of(self.folder / remediation.playbook)
            if defined is None:
                return "playbook", f"{remediation.playbook} is not a readable playbook (a YAML list of plays)"
        else:
            role_dir = self.folder / "roles" / remediation.role
            if not role_dir.is_dir():
                return "role", f"no role {remediation.role} in {self.folder / 'roles'}"
            if remediation.role not in self.site_roles():
                return "role", f"site.yml does not apply role {remediation.role}"
            defined = (self.tags_of(self.folder / "site.yml") or set()) | self.role_tags(role_dir)
        unknown = [tag for tag in remediation.tags if tag not in defined]
        if unknown:
            return "tags", f"tag {unknown[0]} is defined nowhere in {remediation.job_playbook} or its role"
        return None

    def playbooks(self) -> set[str]:
        """What a job may run from this folder (console.jobs.targets), read once."""
        if self._playbooks is None:
            self._playbooks = set(list_playbooks(self.folder))
        return self._playbooks

    def site_roles(self) -> set[str]:
        plays = _yaml_list(self.folder / "site.yml") or []
        names = set()
        for play in plays:
            for entry in (play.get("roles") or []) if isinstance(play, dict) else []:
                names.add(entry.get("role") if isinstance(entry, dict) else entry)
        return names

    def role_tags(self, role_dir: Path) -> set[str]:
        found: set[str] = set()
        for task_file in sorted((role_dir / "tasks").glob("*.y*ml")):
            found |= self.tags_of(task_file) or set()
        return found

    def tags_of(self, path: Path) -> set[str] | None:
        if path not in self._tags:
            data = _yaml_list(path)
            self._tags[path] = None if data is None else _collect_tags(data)
        return self._tags[path]


def _yaml_list(path: Path) -> list | None:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    return data if isinstance(data, list) else None


def _collect_tags(node) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        tags = node.get("tags")
        if isinstance(tags, str):
            found.add(tags)
        elif isinstance(tags, list):
            found |= {tag for tag in tags if isinstance(tag, str)}
        for value in node.values():
            if isinstance(value, (dict, list)):
                found |= _collect_tags(value)
    elif isinstance(node, list):
        for item in node:
            found |= _collect_tags(item)
    return found


def _refuse_duplicate_keys(path: Path, node) -> None:
    if isinstance(node, yaml.MappingNode):
        keys = set()
        for key, value in node.value:
            if key.value in keys:
                raise CatalogError(path, f"duplicate key {key.value!r}", key.start_mark.line + 1)
            keys.add(key.value)
            _refuse_duplicate_keys(path, value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _refuse_duplicate_keys(path, item)


def _line(node, loc: list) -> int | None:
    """Line of the deepest node along `loc` that exists (a key's own line for an unknown key)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if match is None:
                break
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _dotted(loc: list) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def control_as_dict(control: LoadedControl) -> dict:
    spec = control.spec
    return {"id": spec.id, "title": spec.title.model_dump(), "rationale": spec.rationale.model_dump(),
            "category": spec.category, "severity": spec.severity, "applies_to": spec.applies_to.model_dump(exclude_defaults=True),
            "evidence": spec.evidence.model_dump(), "condition": spec.condition,
            "mappings": spec.mappings.model_dump(), "file": control.source_file,
            "remediation": spec.remediation.model_dump(exclude_defaults=True) if spec.remediation else None}
