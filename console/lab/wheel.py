"""The package the lab's hosts install: this project built once as a wheel, and its wheelhouse.

Built from a copy of the source (so concurrent builds never share a build/
folder) with Debian's python3, setuptools and wheel, and kept under
var/lab/wheels/<digest of the agent's source>/, so later labs reuse it until
the code changes. The agent role installs it with --no-deps into a venv that
sees Debian's python3-psutil, python3-click and python3-cryptography. The
console role (playbooks/console.yml) installs the same wheel with all its
dependencies from a wheelhouse: `console_wheelhouse` builds one beside it with
pip from the controller's configured package index.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from console.lab.errors import LabError

SOURCE_ROOT = Path(__file__).resolve().parents[2]
BUILD_PYTHON = "/usr/bin/python3"
PARTS = ("console", "probes", "rules")
TOP_FILES = ("pyproject.toml", "README.md")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")


def source_digest(source_root: Path = SOURCE_ROOT) -> str:
    digest = hashlib.sha256()
    files = [source_root / name for name in TOP_FILES]
    for part in PARTS:
        files += sorted(p for p in (source_root / part).rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for path in files:
        digest.update(str(path.relative_to(source_root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def copy_source(dest: Path, source_root: Path = SOURCE_ROOT) -> Path:
    """Copy what the wheel is built from (pyproject.toml, README.md, console/, probes/, rules/) to a new folder
    `dest`, and return it: a tree to build from, or to change first (another version of the package)."""
    dest = Path(dest)
    dest.mkdir(parents=True)
    for name in TOP_FILES:
        shutil.copy(source_root / name, dest / name)
    for part in PARTS:
        shutil.copytree(source_root / part, dest / part, ignore=IGNORED)
    return dest


def agent_wheel(var_dir: Path, source_root: Path = SOURCE_ROOT) -> Path:
    """The wheel for the current source, built if not there yet."""
    target = Path(var_dir).resolve() / "lab" / "wheels" / source_digest(source_root)
    found = sorted(target.glob("ops_console-*.whl"))
    if found:
        return found[0]
    with tempfile.TemporaryDirectory(prefix="ops-lab-wheel-") as temp:
        copy = copy_source(Path(temp) / "src", source_root)
        out = Path(temp) / "out"
        try:
            result = subprocess.run([BUILD_PYTHON, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                                     "--no-index", "-q", "-w", str(out), str(copy)],
                                    capture_output=True, text=True, timeout=300)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise LabError(f"building the agent wheel: {exc}") from None
        built = sorted(out.glob("ops_console-*.whl"))
        if result.returncode != 0 or not built:
            raise LabError(f"building the agent wheel failed: {result.stderr.strip()[-500:]}")
        target.mkdir(parents=True, exist_ok=True)
        final = target / built[0].name
        # A temporary name of this build's own: labs made at once (the demo and a test, or the tests'
        # parallel workers) may build the same wheel, and the last rename wins with identical bytes.
        partial = target / f".{final.name}.{os.getpid()}.tmp"
        shutil.copy(built[0], partial)
        partial.replace(final)
        return final


def console_wheelhouse(var_dir: Path, source_root: Path = SOURCE_ROOT) -> Path:
    """A folder with the wheel for the current source and every dependency as a wheel, built if not there yet."""
    package = agent_wheel(var_dir, source_root)
    target = package.parent / "wheelhouse"
    if (target / ".complete").exists():
        return target
    temp = Path(tempfile.mkdtemp(prefix=".wheelhouse-", dir=package.parent))
    try:
        result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",
                                 "-w", str(temp), str(package)], capture_output=True, text=True, timeout=900)
        if result.returncode != 0:
            raise LabError(f"building the console's wheelhouse failed: {result.stderr.strip()[-500:]}")
        (temp / ".complete").touch()
        try:
            temp.rename(target)
        except OSError:  # another process made it meanwhile
            if not (target / ".complete").exists():
                raise
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LabError(f"building the console's wheelhouse: {exc}") from None
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    return target
