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

BUILT_IN = Path(__file__).resolve().parent / "controls"
MAX_FILE_BYTES = 512 * 1024
Category = Literal["firewall", "ups", "endpoint", "ids", "server", "logging_backup"]
Severity = Literal["low", "medium", "high", "critical"]
SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}
CATEGORIES = ("firewall", "ups", "endpoint", "ids", "server", "logging_backup")
Source = Literal["agent_report", "device", "rule_manager", "alert_pipeline", "endpoints"]


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
    """Who a control is about: all active hosts, hosts in any of `groups`, hosts with `variable` set, or devices."""

    all_hosts: bool = False
    groups: list[str] = []
    variable: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
    devices: Literal["ups", "firewall", "endpoint_coverage", "endpoint"] | None = None

    @model_validator(mode="after")
    def _one_target(self):
        chosen = [bool(self.all_hosts), bool(self.groups or self.variable), self.devices is not None]
        if sum(chosen) != 1:
            raise ValueError("give exactly one of all_hosts, groups/variable, devices")
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

    @model_validator(mode="after")
    def _devices_need_device_evidence(self):
        endpoints = self.applies_to.devices in ("endpoint_coverage", "endpoint")
        if endpoints != (self.evidence.source == "endpoints"):
            raise ValueError("applies_to.devices endpoint_coverage or endpoint and evidence.source: endpoints go together")
        if not endpoints and (self.applies_to.devices is not None) != (self.evidence.source == "device"):
            raise ValueError("applies_to.devices and evidence.source: device go together")
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


def load_catalog(folder: Path | None = None) -> Catalog:
    """Every *.yaml in `folder` (default: the built-in catalog), validated and compiled; CatalogError otherwise."""
    folder = Path(folder) if folder else BUILT_IN
    files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    if not files:
        raise CatalogError(folder, "no control files (*.yaml) found")
    digest, controls, seen = hashlib.sha256(), [], {}
    for path in files:
        text = _read(path)
        digest.update(path.name.encode() + b"\0" + text.encode())
        for control in _load_file(path, text):
            if control.id in seen:
                raise CatalogError(path, f"control id {control.id} is already defined in {seen[control.id]}")
            seen[control.id] = path.name
            controls.append(control)
    return Catalog(tuple(controls), digest.hexdigest()[:16])


@lru_cache(maxsize=4)
def cached_catalog(folder: str | None = None) -> Catalog:
    """The catalog loaded once per process (the console loads it at start)."""
    return load_catalog(Path(folder) if folder else None)


def _read(path: Path) -> str:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise CatalogError(path, f"larger than {MAX_FILE_BYTES} bytes")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CatalogError(path, "not UTF-8 text") from None


def parse_yaml_file(path: Path, text: str, model: type[BaseModel]):
    """(YAML node tree, validated model) of a data file; any error names the file, line and field.

    Shared by the controls catalog and the requirement files: the node tree
    keeps line numbers for the checks that come after validation.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
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


def _load_file(path: Path, text: str) -> list[LoadedControl]:
    root, parsed = parse_yaml_file(path, text, ControlFile)
    loaded = []
    for index, control in enumerate(parsed.controls):
        try:
            check = compile_condition(control.condition)
        except ConditionError as exc:
            loc = ["controls", index, "condition", *exc.path]
            raise CatalogError(path, f"{control.id}: {exc}", _line(root, loc)) from None
        loaded.append(LoadedControl(control, check, parse_duration(control.evidence.max_age),
                                    tuple(fields_read(control.condition)), path.name))
    return loaded


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
            "mappings": spec.mappings.model_dump(), "file": control.source_file}
