"""Every library the product imports is one of the console package's declared dependencies.

The console installed from its wheel (playbooks/console.yml, docs/install.md) gets only what pyproject.toml's
[project] dependencies name. A module imported by product code but brought into the development venv by a test
tool (jsonschema came with schemathesis and openapi-spec-validator) works in every test that uses the venv and
answers 500 on a department's server: the installed console's enrolment did exactly that. This reads the
imports of console/, probes/, rules/ and scripts/ and maps each third-party top-level module to the
distribution that provides it in this venv.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("console", "probes", "rules", "scripts")
FIRST_PARTY = {"console", "probes", "rules", "scripts", "tests", "bench"}
# Modules from Debian's packages that the product imports where present and does without elsewhere.
FROM_DEBIAN = {"apt_pkg": "python3-apt: the agent's pending-updates reader falls back to `apt-get -s` without it"}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _names(requirements: list[str]) -> set[str]:
    return {_canonical(re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0]) for requirement in requirements}


def declared(extra: str = "") -> set[str]:
    """The [project] dependencies; with an extra's name, that extra's too."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = _names(project["dependencies"])
    return names | _names(project["optional-dependencies"][extra]) if extra else names


def imported_modules() -> dict[str, set[str]]:
    """Top-level module -> the product files that import it (absolute imports only)."""
    found: dict[str, set[str]] = {}
    for part in PRODUCT:
        for path in (ROOT / part).rglob("*.py"):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_third_party_module_the_product_imports_comes_from_a_declared_dependency():
    providers = packages_distributions()
    product, maintainer = declared(), declared("test")
    missing = {}
    for module, files in imported_modules().items():
        if module in FIRST_PARTY or module in FROM_DEBIAN or module in sys.stdlib_module_names or module == "__future__":
            continue
        distributions = {_canonical(name) for name in providers.get(module, [])}
        assert distributions, f"{module} (imported by {sorted(files)}) is not installed in this venv"
        # scripts/ holds maintainers' tools too (scripts/screenshot.py drives Playwright from the dev venv).
        wanted = maintainer if all(name.startswith("scripts/") for name in files) else product
        if not distributions & wanted:
            missing[module] = (sorted(distributions), sorted(files))
    assert missing == {}, f"imported by product code but not in pyproject.toml's dependencies: {missing}"


def test_the_check_reads_real_imports():
    """The check above could pass by reading nothing: it sees the libraries the console is built on."""
    modules = imported_modules()
    assert {"flask", "sqlalchemy", "jsonschema", "click"} <= set(modules)
    assert "jsonschema" in declared()
