"""site.yml in check mode on three new lab hosts: it predicts changes on every host and writes nothing.

Its own lab (not test_site_on_lab.py's) so that it runs beside the real runs on another pytest-xdist worker:
check mode on new hosts and the first real run are the two longest playbook runs of the suite.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.lab import lab_with_console
from tests.playbooks.test_site_on_lab import RULES_V1, site_vars

pytestmark = pytest.mark.lab  # lab hosts: network namespaces with their own sshd


@pytest.fixture(scope="module")
def site_lab(tmp_path_factory):
    with lab_with_console(3, tmp_path_factory.mktemp("console")) as (lab, console):
        yield lab, console, tmp_path_factory.mktemp("rules")


def test_check_mode_on_new_hosts_predicts_changes_and_writes_nothing(site_lab):
    lab, console, rules = site_lab

    result = lab.run_playbook("site.yml", site_vars(console, rules, RULES_V1, "v1", "enr_check_only"), check=True)

    assert result.status == "successful", (result.stats, result.failures())
    assert result.hosts_with("changed") == {host.name for host in lab.hosts}
    for host in lab.hosts:
        root = Path(host.install_root)
        assert not (root / "etc/nftables.conf").exists()
        assert not (root / "etc/ops-agent/ops.toml").exists()
