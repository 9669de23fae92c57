"""Fixtures for the console's rule manager tests: the console's settings point at this test's rule folders.

The tarball helpers the rules/ library tests share are in tests/rules/conftest.py.
"""

from __future__ import annotations

import pytest

from tests.rules.conftest import vendor_tarball  # noqa: F401  (fixture)


@pytest.fixture
def settings(config_file, rules_config):
    """The console's settings with [rules] pointing at this test's folders (app, client, live_server use it)."""
    from console.settings import load_settings

    return load_settings(config_file).model_copy(update={"rules": rules_config})
