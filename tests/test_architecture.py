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


def test_an_area_reading_another_areas_models_breaks_a_contract(tmp_path):
    """The contracts do catch what they are for: incidents querying the alerts table itself."""
    copy = tmp_path / "repo"
    for name in ("console", "probes", "rules"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__", "static", "translations"))
    shutil.copy(ROOT / ".importlinter", copy / ".importlinter")
    service = copy / "console" / "incidents" / "service.py"
    service.write_text(service.read_text() + "\nfrom console.models.alerts import Alert  # noqa: E402,F401\n")
    result = _lint(copy)
    assert result.returncode != 0
    assert "console.incidents is not allowed to import console.models.alerts" in result.stdout
