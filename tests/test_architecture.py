"""The layout's rules are checked, not hoped for: import-linter's contracts in .importlinter (docs/architecture.md)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _lint(root: Path) -> subprocess.CompletedProcess:
    linter = Path(sys.executable).with_name("lint-imports")
    return subprocess.run([str(linter), "--no-cache"], cwd=root, capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)})


def test_every_import_contract_is_kept():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _copy(tmp_path: Path) -> Path:
    """The tree's code and contracts, copied to break on purpose."""
    copy = tmp_path / "repo"
    for name in ("console", "probes", "rules"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__", "static", "translations"))
    shutil.copy(ROOT / ".importlinter", copy / ".importlinter")
    return copy


def _append(path: Path, line: str) -> None:
    path.write_text(path.read_text() + f"\n{line}  # noqa: E402,F401\n")


def test_an_area_reading_another_areas_models_breaks_a_contract(tmp_path):
    """The contracts do catch what they are for: incidents querying the alerts table itself."""
    copy = _copy(tmp_path)
    service = copy / "console" / "incidents" / "service.py"
    service.write_text(service.read_text() + "\nfrom console.models.alerts import Alert  # noqa: E402,F401\n")
    result = _lint(copy)
    assert result.returncode != 0
    assert "console.incidents is not allowed to import console.models.alerts" in result.stdout


def test_an_import_up_the_order_and_a_cycle_break_their_contracts(tmp_path):
    """The areas' order: inventory (low) importing alerts (higher) is refused; so is a cycle inside an area
    (the task queue importing back the module that runs its tasks), even one hidden in a function."""
    copy = _copy(tmp_path)
    _append(copy / "console" / "inventory" / "hosts.py", "from console.alerts import query")
    queue = copy / "console" / "tasks" / "queue.py"
    queue.write_text(queue.read_text() + "\n\ndef _hidden():\n    from console.tasks import work  # noqa: F401\n")
    result = _lint(copy)
    assert result.returncode != 0
    assert "console.inventory is not allowed to import console.alerts" in result.stdout
    assert "No cycles are allowed in console.tasks." in result.stdout


def _surfaces():
    """scripts/architecture.py, the public-surface checker and the table's generator."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("architecture_script", ROOT / "scripts" / "architecture.py")
    module = sys.modules.get(spec.name)
    if module is None:
        module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return module


def test_public_surfaces_hold_and_the_architecture_table_is_current():
    surfaces = _surfaces()
    assert surfaces.problems(ROOT) == []
    assert surfaces.current_doc(ROOT) == (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8"), \
        "docs/architecture.md's public-surfaces table is not current: run scripts/architecture.py --write"


def test_an_unlisted_name_a_listed_name_that_is_gone_and_a_stale_table_are_refused(tmp_path):
    """The public-surface check catches what it is for, each in a copy of the tree."""
    surfaces = _surfaces()
    copy = tmp_path / "repo"
    shutil.copytree(ROOT / "console", copy / "console", ignore=shutil.ignore_patterns(
        "__pycache__", "static", "translations", "templates", "migrations"))
    shutil.copytree(ROOT / "docs", copy / "docs")
    shutil.copy(ROOT / ".importlinter", copy / ".importlinter")
    assert surfaces.problems(copy) == []
    # incidents takes a name alerts' query does not list; notify calls a devices function through its module
    _append(copy / "console" / "incidents" / "service.py", "from console.alerts.query import AlertFilter")
    _append(copy / "console" / "notify" / "events.py", "from console.devices import service as _devices\n"
                                                       "_poll = _devices.poll_due")
    ruleset = copy / "console" / "ruleset" / "service.py"  # a listed name that is not there
    ruleset.write_text(ruleset.read_text().replace('"suppress"]', '"suppress", "build_everything"]'))
    remediation = copy / "console" / "remediation" / "__init__.py"  # an area without __all__
    remediation.write_text(remediation.read_text().replace("__all__: list[str] = []", "PUBLIC = []"))
    found = "\n".join(surfaces.problems(copy))
    assert "console/incidents/service.py:" in found and "console.alerts.query does not list 'AlertFilter'" in found
    assert "console/notify/events.py:" in found and "console.devices.service does not list 'poll_due'" in found
    assert "console/ruleset/service.py: __all__ lists 'build_everything', which it does not define" in found
    assert "console/remediation/__init__.py: no __all__" in found
    # the table follows the code: a stale one fails the check until --write rewrites it
    doc = copy / "docs" / "architecture.md"
    doc.write_text(doc.read_text().replace("`service.ruleset_status`, ", ""))
    assert surfaces.main(["--check", "--root", str(copy)]) == 1
    surfaces.main(["--write", "--root", str(copy)])
    assert "`service.ruleset_status`" in doc.read_text()


def test_one_translation_marker_and_one_catalogue_loader():
    """`_l` is defined once, in console/common/i18n.py (the web layers import flask_babel's lazy_gettext under that
    name), and only console/common/i18n.py loads a Babel catalogue (issue 33): a second copy fails naming its file."""
    import ast

    found = {"_l": [], "Translations.load": []}
    for path in sorted((ROOT / "console").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.Lambda)) and getattr(node, "name", None) == "_l":
                found["_l"].append(str(path.relative_to(ROOT)))
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "_l" for t in node.targets):
                found["_l"].append(str(path.relative_to(ROOT)))
            if (isinstance(node, ast.Attribute) and node.attr == "load" and isinstance(node.value, ast.Name)
                    and node.value.id == "Translations"):
                found["Translations.load"].append(str(path.relative_to(ROOT)))
    assert found == {"_l": ["console/common/i18n.py"], "Translations.load": ["console/common/i18n.py"]}
