"""The console's one version number: pyproject's `version`, read from the installed package's metadata.

`ops --version`, `/healthz` and the page footer all show this; a backup records it
in its manifest.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "ops-console"


@cache
def app_version() -> str:
    """The installed ops-console version, or "unknown" when run from a tree that was never installed."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown"
