"""Requirement files: every clause number is one the reference page gives, and bad files are refused with file:line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from console.compliance.catalog import CatalogError
from console.compliance.requirements import BUILT_IN, load_frameworks

ROOT = Path(__file__).resolve().parents[3]
REFERENCE = ROOT / "docs" / "reference" / "vn-security-regulations.md"
# Which words of the reference page name each document (a clause counts only where its document is named).
ALIASES = {"TCVN 11930:2017": "11930", "TT 12/2022": "12/2022", "NĐ 331/2026": "331", "NĐ 85/2016": "85/2016",
           "Luật 116/2025": "116/2025", "TCVN 14423:2026": "14423"}
DOTTED = re.compile(r"\d+(?:\.\d+)+")


def _paragraphs(text: str) -> list[tuple[str, str]]:
    """(section heading, line) for every line of a markdown page."""
    heading, found = "", []
    for line in text.splitlines():
        if line.startswith("#"):
            heading = line
        found.append((heading, line))
    return found


def _bounded(needle: str, line: str) -> bool:
    return re.search(r"(?<![\w.§/])" + re.escape(needle) + r"(?![\w.])", line) is not None


def missing_clauses(files: list[Path], reference_text: str) -> list[str]:
    """Clause references of the files that the reference (or a source the file names) does not give."""
    missing = []
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        corpus = reference_text + "".join("\n" + (ROOT / s).read_text(encoding="utf-8")
                                          for s in data.get("sources", []) if (ROOT / s).is_file() and
                                          (ROOT / s).resolve() != REFERENCE.resolve())
        lines = _paragraphs(corpus)
        for req in data["requirements"]:
            for clause in [req["clause"], *req.get("also", [])]:
                alias = ALIASES[clause["doc"]]
                ref = clause.get("ref")
                wanted = [ref] if ref else []
                wanted += [n for n in DOTTED.findall(clause.get("item") or "")]
                for needle in wanted:
                    number = needle.removeprefix("Điều ")
                    if not any((alias in heading or alias in line) and
                               (_bounded(needle, line) or ("Điều" in line and _bounded(number, line)))
                               for heading, line in lines):
                        missing.append(f"{path.name}: {req['id']}: {clause['doc']} {needle}")
    return missing


def test_every_clause_number_in_the_framework_files_appears_in_the_reference_page():
    files = sorted(BUILT_IN.glob("*.yaml"))
    assert {f.name for f in files} == {"legacy-85.yaml", "current-331.yaml"}
    assert missing_clauses(files, REFERENCE.read_text(encoding="utf-8")) == []


def test_the_clause_check_catches_an_invented_clause_and_one_under_the_wrong_document(tmp_path):
    text = (BUILT_IN / "legacy-85.yaml").read_text(encoding="utf-8")
    invented = tmp_path / "legacy-85.yaml"
    invented.write_text(text.replace('ref: "7.2.2.6"', 'ref: "7.2.2.9"').replace(
        '{doc: "TT 12/2022", ref: "Điều 13.4"}', '{doc: "TCVN 11930:2017", ref: "Điều 13.4"}'), encoding="utf-8")
    missing = missing_clauses([invented], REFERENCE.read_text(encoding="utf-8"))
    assert missing == ["legacy-85.yaml: ANNUAL-REPORT: TCVN 11930:2017 Điều 13.4",
                       "legacy-85.yaml: L3-SRV-DISPOSAL: TCVN 11930:2017 7.2.2.9"]


@pytest.mark.skipif(not Path("/work/shared/reference/vn-security-regulations.md").exists(),
                    reason="the shared reference is not on this machine")
def test_the_reference_page_in_the_repository_is_the_shared_one_unchanged():
    assert REFERENCE.read_bytes() == Path("/work/shared/reference/vn-security-regulations.md").read_bytes()


def test_level_3_under_each_framework_lists_automated_and_manual_requirements():
    frameworks = load_frameworks()
    legacy, current = frameworks["legacy-85"].for_level(3), frameworks["current-331"].for_level(3)
    assert {"L3-SRV-MALWARE", "L3-ZONES", "HARDENING", "ANNUAL-REPORT"} <= {r.id for r in legacy}
    assert {"C-INCIDENT-NOTICE", "C-TIME-SYNC", "C-CLOUD-SEPARATION"} <= {r.id for r in current}
    assert any(r.manual for r in current) and any(r.controls for r in current)
    assert all(r.clause.ref.startswith("7.") for r in legacy if r.clause.doc == "TCVN 11930:2017")
    assert not frameworks["legacy-85"].covers(4)


def _broken(tmp_path, old: str, new: str) -> Path:
    text = (BUILT_IN / "legacy-85.yaml").read_text(encoding="utf-8")
    assert old in text
    (tmp_path / "legacy-85.yaml").write_text(text.replace(old, new, 1), encoding="utf-8")
    return tmp_path


def _line_of(tmp_path, needle: str, nth: int = 1) -> int:
    lines = (tmp_path / "legacy-85.yaml").read_text(encoding="utf-8").splitlines()
    return [i + 1 for i, line in enumerate(lines) if needle in line][nth - 1]


@pytest.mark.parametrize("old, new, message, line_of", [
    ("- id: L2-ZONES", "- id: HARDENING", "duplicate requirement id HARDENING", ("- id: HARDENING", 2)),
    ('ref: "6.2.1.4"', 'ref: "6.2.1.6"', "duplicate clause TCVN 11930:2017 6.2.1.6 at level 2", ('ref: "6.2.1.6"', 2)),
    ("controls: [FW-03]", "controls: [FW-99]", "L2-NET-ACCESS: unknown control FW-99", ("controls: [FW-99]", 1)),
    ("levels: [2]\n    manual: true\n  - id: L2-FIREWALL", "levels: [7]\n    manual: true\n  - id: L2-FIREWALL",
     "L2-ZONES: unknown level 7", ("levels: [7]", 1)),
    ('ref: "7.2.2.6"', 'ref: "6.2.2.6"', "clause 6.2.2.6 belongs to level 2 of TCVN 11930, not to level(s) [3]",
     ('ref: "6.2.2.6"', 2)),
    ('{doc: "TT 12/2022", ref: "Điều 13.4"}', '{doc: "TT 13/2022", ref: "Điều 13.4"}',
     "unknown clause: document 'TT 13/2022'", ("TT 13/2022", 1)),
    ('ref: "Điều 12.2.đ"', 'ref: "Article 12"', "unknown clause 'Article 12'", ("Article 12", 1)),
    ("    controls: [FW-04, SRV-04]", "    controls: [FW-04, SRV-04]\n    manual: true",
     "give either controls", ("- id: HARDENING", 1)),
    ("    topic: ops.hardening", "    topic: ops.hardening\n    owner: me", "unknown field", ("owner: me", 1)),
])
def test_a_bad_requirement_file_is_refused_with_its_file_and_line(tmp_path, old, new, message, line_of):
    folder = _broken(tmp_path, old, new)
    with pytest.raises(CatalogError) as raised:
        load_frameworks(folder)
    error = raised.value
    assert message in str(error) and error.path == folder / "legacy-85.yaml"
    assert error.line == _line_of(folder, *line_of), str(error)


def test_ops_compliance_check_validates_the_requirement_files_too(config_file):
    from tests.console.compliance.helpers import ops

    checked = ops(config_file, "compliance", "check")
    assert checked.exit_code == 0, checked.output
    assert "requirement files valid: current-331 (" in checked.stdout and "legacy-85 (" in checked.stdout
