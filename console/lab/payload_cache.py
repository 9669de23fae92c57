"""A lab host's Python keeps the code it compiles from zip archives: Ansible's AnsiballZ payloads.

Every Ansible task sends its module to the host as a zip of the module and the `ansible.module_utils` it
uses, and the host's Python imports them from the zip, where `zipimport` keeps no bytecode: each task compiles
`module_utils/basic.py` and its neighbours again, about 40 % of a task's CPU on the host (0.25 s down to 0.15 s
per task here, 30 `command` tasks with and without, 2026-12-07). Lab hosts share this machine's Python, so the
lab keeps that code: `ops lab up` copies this file as `sitecustomize.py` into the lab's folder, and each
host's sshd gives its sessions PYTHONPATH and OPS_LAB_PYCACHE (console/lab/sshd.py). Python imports
`sitecustomize` at start, and this replaces zipimport's compile step with one that reads the code compiled
from the same source (same path inside the zip, same bytes, same Python) from OPS_LAB_PYCACHE, or compiles
it and writes it there (temporary file and rename: hosts of one lab run tasks at once). The code keeps the
file name of the zip it came from this time, so a traceback names the real payload.

Only the lab does this; a real server runs what Ansible sends as Ansible made it. Nothing else changes: a
source that differs by one byte is another entry, and an unreadable entry is compiled again.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import types
import zipimport

ENVIRONMENT = "OPS_LAB_PYCACHE"


def _renamed(code: types.CodeType, filename: str) -> types.CodeType:
    consts = tuple(_renamed(c, filename) if isinstance(c, types.CodeType) else c for c in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)


def install(directory: str) -> None:
    """Replace zipimport's compile step with the cached one (Python 3.8 to 3.12 name it _compile_source)."""
    compile_source = getattr(zipimport, "_compile_source", None)
    if compile_source is None:
        return
    tag = f"{sys.implementation.cache_tag}\0".encode()

    def cached(pathname: str, source: bytes):
        inner = pathname.rpartition(".zip" + os.sep)[2]
        path = os.path.join(directory, hashlib.sha256(tag + inner.encode() + b"\0" + source).hexdigest())
        try:
            with open(path, "rb") as entry:
                return _renamed(marshal.loads(entry.read()), pathname)
        except (OSError, ValueError, EOFError, TypeError):
            pass
        code = compile_source(pathname, source)
        tmp = f"{path}.{os.getpid()}.tmp"
        try:
            with open(tmp, "wb") as entry:
                entry.write(marshal.dumps(code))
            os.replace(tmp, path)
        except OSError:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        return code

    zipimport._compile_source = cached


if __name__ == "sitecustomize" and os.environ.get(ENVIRONMENT):
    install(os.environ[ENVIRONMENT])
