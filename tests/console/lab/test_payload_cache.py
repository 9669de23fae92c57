"""A lab host's Python keeps the code it compiles from zip archives (console/lab/payload_cache.py).

Each case runs Debian's python3 the way a lab host's SSH session does: PYTHONPATH holds the lab's
sitecustomize.py, OPS_LAB_PYCACHE its cache, and a module is imported from a zip in a folder of its own, as
Ansible's AnsiballZ payload is.
"""

from __future__ import annotations

import os
import subprocess
import zipfile
from pathlib import Path

from console.lab.sshd import payload_cache_dirs

PYTHON = "/usr/bin/python3"
MODULE = "def where():\n    return where.__code__.co_filename\n\ndef fail():\n    raise RuntimeError('from the payload')\n"
RUN = ("import sys, traceback, zipimport\n"
       "sys.path.insert(0, sys.argv[1])\n"
       "import payload_mod\n"
       "print(payload_mod.where())\n"
       "try:\n    payload_mod.fail()\nexcept RuntimeError:\n"
       "    print(traceback.extract_tb(sys.exc_info()[2])[-1].filename)\n")


def _lab(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "lab").mkdir()
    return payload_cache_dirs(tmp_path / "lab")


def _payload(folder: Path, source: str) -> Path:
    folder.mkdir(parents=True)
    archive = folder / "ansible_command_payload.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("payload_mod.py", source)
    return archive


def _run(archive: Path, python_dir: Path, cache: Path, cached: bool = True) -> list[str]:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "OPS_LAB_PYCACHE")}
    if cached:
        env.update(PYTHONPATH=str(python_dir), OPS_LAB_PYCACHE=str(cache))
    out = subprocess.run([PYTHON, "-c", RUN, str(archive)], env=env, capture_output=True, text=True, timeout=30,
                         check=True)
    return out.stdout.splitlines()


def test_the_second_payload_reads_the_code_kept_and_names_its_own_zip(tmp_path):
    python_dir, cache = _lab(tmp_path)
    assert (python_dir / "sitecustomize.py").read_bytes() == \
        (Path(__file__).resolve().parents[3] / "console/lab/payload_cache.py").read_bytes()
    first = _payload(tmp_path / "ansible_command_payload_a", MODULE)
    assert _run(first, python_dir, cache) == [f"{first}/payload_mod.py"] * 2
    kept = sorted(cache.iterdir())
    assert len(kept) == 1  # the module's code, compiled once
    second = _payload(tmp_path / "ansible_command_payload_b", MODULE)
    stamp = kept[0].stat().st_mtime_ns
    # read from the cache (the entry is not written again), with the name of the zip it came from this time
    assert _run(second, python_dir, cache) == [f"{second}/payload_mod.py"] * 2
    assert sorted(cache.iterdir()) == kept and kept[0].stat().st_mtime_ns == stamp


def test_a_changed_source_is_compiled_again_and_a_broken_entry_is_replaced(tmp_path):
    python_dir, cache = _lab(tmp_path)
    _run(_payload(tmp_path / "a", MODULE), python_dir, cache)
    changed = MODULE.replace("from the payload", "from another payload")
    _run(_payload(tmp_path / "b", changed), python_dir, cache)
    entries = sorted(cache.iterdir())
    assert len(entries) == 2  # one per source
    for entry in entries:
        entry.write_bytes(b"not marshalled code")
    third = _payload(tmp_path / "c", MODULE)
    assert _run(third, python_dir, cache) == [f"{third}/payload_mod.py"] * 2
    assert not [p for p in cache.iterdir() if p.name.endswith(".tmp")]


def test_without_the_lab_environment_python_compiles_as_it_always_did(tmp_path):
    python_dir, cache = _lab(tmp_path)
    archive = _payload(tmp_path / "a", MODULE)
    assert _run(archive, python_dir, cache, cached=False) == [f"{archive}/payload_mod.py"] * 2
    assert list(cache.iterdir()) == []
