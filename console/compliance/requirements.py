"""Requirements as data: what each framework asks of a system of each security level.

Every file in the frameworks folder (`frameworks/*.yaml`) is one framework
(`legacy-85`, `current-331`): its documents, the levels it covers and its
requirements, each linked to the controls of the catalog that give evidence
for it, or marked `manual` (policies, training, inspection: a person attaches
evidence). A file is refused as a whole, with its name and line, for an
unknown field, a duplicate id, two requirements of one level resting on the
same clause, a clause of a document the file does not declare or numbered
the wrong way (a TCVN 11930 clause of another level), an unknown level or an
unknown control: a half-valid framework would give half-true verdicts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from console.compliance.catalog import CatalogError, Text, _line, _read, load_catalog, parse_yaml_file
from console.systems.reader import FRAMEWORKS, LEVELS

__all__ = ["FRAMEWORKS", "cached_frameworks", "covered_levels"]

BUILT_IN = Path(__file__).resolve().parent / "frameworks"
Numbering = Literal["article", "article_or_annex", "tcvn_11930", "none"]
ARTICLE = re.compile(r"^Điều \d+(\.\d+)*(\.[a-zđ])?(–\d+(\.\d+)*)?$")
ANNEX = re.compile(r"^PL [IV]+(/[IV]+)? §[IV]+\.\d+(\.[a-z]+(\.[ivx]+(–[ivx]+)?)?)?$")
TCVN_11930 = re.compile(r"^([5-9])(\.\d+)+(–\d+(\.\d+)+)?$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Document(_Strict):
    id: str = Field(min_length=2, max_length=40)
    name: str = Field(min_length=2, max_length=200)
    numbering: Numbering


class Clause(_Strict):
    """Where a requirement comes from: a numbered clause (`ref`), or a topic of an unnumbered text (`item`)."""

    doc: str
    ref: str | None = Field(None, max_length=60)
    item: str | None = Field(None, max_length=200)

    @model_validator(mode="after")
    def _something(self):
        if not (self.ref or self.item):
            raise ValueError("give ref (a clause number) or item (a topic of an unnumbered text)")
        return self

    def label(self) -> str:
        return " ".join(part for part in (self.doc, self.ref, f"({self.item})" if self.item and self.ref else self.item)
                        if part)


class Requirement(_Strict):
    id: str = Field(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+){0,4}$")
    topic: str = Field(pattern=r"^[a-z]+\.[a-z0-9_]+$")
    clause: Clause
    also: list[Clause] = []
    title: Text
    text: Text
    levels: list[int] = Field(min_length=1)
    controls: list[str] = []
    manual: bool = False

    @model_validator(mode="after")
    def _evidence(self):
        if self.manual == bool(self.controls):
            raise ValueError("give either controls (evidence from the catalog) or manual: true")
        return self


class FrameworkFile(_Strict):
    framework: Literal["legacy-85", "current-331"]
    title: Text
    legal_basis: Text
    levels: list[int] = Field(min_length=1)
    documents: list[Document] = Field(min_length=1)
    sources: list[str] = Field(min_length=1)
    requirements: list[Requirement] = Field(min_length=1)


@dataclass(frozen=True)
class Framework:
    spec: FrameworkFile
    source_file: str

    @property
    def id(self) -> str:
        return self.spec.framework

    def for_level(self, level: int) -> list[Requirement]:
        return [r for r in self.spec.requirements if level in r.levels]

    def covers(self, level: int) -> bool:
        return level in self.spec.levels

    def by_id(self) -> dict[str, Requirement]:
        return {r.id: r for r in self.spec.requirements}


def load_frameworks(folder: Path | None = None, control_ids: set[str] | None = None) -> dict[str, Framework]:
    """Every framework file of `folder` (default: built-in), checked against the controls catalog."""
    folder = Path(folder) if folder else BUILT_IN
    files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    if not files:
        raise CatalogError(folder, "no framework files (*.yaml) found")
    known = control_ids if control_ids is not None else {c.id for c in load_catalog().controls}
    found: dict[str, Framework] = {}
    for path in files:
        framework = _load_file(path, known)
        if framework.id in found:
            raise CatalogError(path, f"framework {framework.id} is already defined in {found[framework.id].source_file}")
        found[framework.id] = framework
    return found


@lru_cache(maxsize=2)
def cached_frameworks() -> dict[str, Framework]:
    """The built-in frameworks loaded once per process, checked against the built-in catalog."""
    return load_frameworks()


def covered_levels() -> dict[str, tuple[int, ...]]:
    """For each built-in framework, the levels its requirement file covers: what the information systems'
    reader and edit check a system's level against (console.systems.reader.Coverage)."""
    return {key: tuple(framework.spec.levels) for key, framework in cached_frameworks().items()}


def _load_file(path: Path, control_ids: set[str]) -> Framework:
    root, parsed = parse_yaml_file(path, _read(path), FrameworkFile)

    def fail(loc: list, message: str):
        raise CatalogError(path, message, _line(root, loc))

    for index, level in enumerate(parsed.levels):
        if level not in LEVELS:
            fail(["levels", index], f"levels: unknown level {level} (levels are 1 to 5)")
    _check_requirements(parsed, control_ids, fail)
    return Framework(parsed, path.name)


def _check_requirements(parsed: FrameworkFile, control_ids: set[str], fail) -> None:
    documents = {doc.id: doc for doc in parsed.documents}
    seen_ids: dict[str, int] = {}
    seen_clauses: dict[tuple, str] = {}
    for index, req in enumerate(parsed.requirements):
        where = ["requirements", index]
        if req.id in seen_ids:
            fail([*where, "id"], f"duplicate requirement id {req.id}")
        seen_ids[req.id] = index
        for position, level in enumerate(req.levels):
            if level not in parsed.levels:
                fail([*where, "levels", position], f"{req.id}: unknown level {level} (this file covers "
                                                   f"{', '.join(map(str, parsed.levels))})")
        for position, control in enumerate(req.controls):
            if control not in control_ids:
                fail([*where, "controls", position], f"{req.id}: unknown control {control}")
        for key, clause in [(["clause"], req.clause), *((["also", i], c) for i, c in enumerate(req.also))]:
            problem = clause_problem(clause, documents, req.levels)
            if problem:
                fail([*where, *key], f"{req.id}: {problem}")
        marker = (req.clause.doc, req.clause.ref, req.clause.item)
        for level in req.levels:
            other = seen_clauses.get((level, marker))
            if other:
                fail([*where, "clause"], f"{req.id}: duplicate clause {req.clause.label()} at level {level} "
                                         f"(already the basis of {other})")
            seen_clauses[(level, marker)] = req.id


def clause_problem(clause: Clause, documents: dict[str, Document], levels: list[int]) -> str | None:
    """Why a clause cannot be right, or None: unknown document, numbering not of that document or of another level."""
    doc = documents.get(clause.doc)
    if doc is None:
        return f"unknown clause: document {clause.doc!r} is not among this file's documents"
    if clause.ref is None:
        return None
    if doc.numbering == "none":
        return f"unknown clause {clause.ref!r}: {doc.id} has no clause numbers we know; cite it by item"
    if doc.numbering == "tcvn_11930":
        match = TCVN_11930.match(clause.ref)
        if not match:
            return f"unknown clause {clause.ref!r}: TCVN 11930 clauses look like 7.2.1.5"
        level = int(match.group(1)) - 4
        if level not in levels:
            return f"clause {clause.ref} belongs to level {level} of TCVN 11930, not to level(s) {levels}"
        return None
    patterns = [ARTICLE] + ([ANNEX] if doc.numbering == "article_or_annex" else [])
    if not any(p.match(clause.ref) for p in patterns):
        return f"unknown clause {clause.ref!r}: {doc.id} is cited as 'Điều N.M'" + (
            " or 'PL II §II.1.a'" if doc.numbering == "article_or_annex" else "")
    return None


def requirement_as_dict(req: Requirement) -> dict:
    return {"id": req.id, "topic": req.topic, "clause": req.clause.label(), "also": [c.label() for c in req.also],
            "title": req.title.model_dump(), "text": req.text.model_dump(), "levels": req.levels,
            "controls": req.controls, "manual": req.manual}


def transition_gap(frameworks: dict[str, Framework], framework: str, level: int) -> list[Requirement]:
    """Requirements of current-331 at `level` whose topic the legacy set of that level lacks ([] if not legacy)."""
    if framework != "legacy-85" or not frameworks["current-331"].covers(level):
        return []
    have = {req.topic for req in frameworks["legacy-85"].for_level(level)}
    return [req for req in frameworks["current-331"].for_level(level) if req.topic not in have]
