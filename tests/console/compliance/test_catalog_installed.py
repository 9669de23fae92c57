"""The built-in controls in a console installed from its wheel, where no repository playbooks/ is beside the package."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from console.compliance import catalog
from console.settings import load_settings

REPOSITORY_PLAYBOOKS = catalog.BUILT_IN_PLAYBOOKS


@pytest.fixture
def installed(monkeypatch, tmp_path):
    """As in site-packages: the package's parent holds no playbooks/ folder."""
    monkeypatch.setattr(catalog, "BUILT_IN_PLAYBOOKS", tmp_path / "site-packages" / "playbooks")


def test_the_built_in_catalog_loads_without_the_repository_playbooks(installed):
    loaded = catalog.load_catalog()
    assert len(loaded.controls) == len(catalog.load_catalog(playbooks=REPOSITORY_PLAYBOOKS).controls)


def test_an_installed_console_checks_the_built_in_remediations_against_its_configured_playbooks(installed, tmp_path):
    playbooks = tmp_path / "etc" / "playbooks"
    shutil.copytree(REPOSITORY_PLAYBOOKS, playbooks)
    config = tmp_path / "ops.toml"
    config.write_text(f'[jobs]\nplaybooks_dir = "{playbooks}"\n')
    assert catalog.configured_catalog(load_settings(config)).controls

    shutil.rmtree(playbooks / "remediate")
    with pytest.raises(catalog.CatalogError, match="remediation.playbook: no playbook remediate/"):
        catalog.configured_catalog(load_settings(config))
