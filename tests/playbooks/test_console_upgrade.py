"""console.yml upgrades an installed console in place, and goes back to the previous version when a migration fails.

One 1-host lab serves the module. The install of version A and the upgrade
to B are made once, by whichever test needs them first, and what they left
is recorded for the tests about them; the other tests start from B and
assert what their own run changed: the tests pass in any order. Version A is
this source's wheel (with its wheelhouse, as test_console_role.py installs
it), installed by the role as it was before upgrades (commit fb7fd78: one
venv folder at /opt/ops-console/venv, taken with `git archive`), as a
department's console installed then would be; this role then upgrades it,
and moves that venv beside the versioned ones. Version B and version C are wheels built from copies of this source
with the version in pyproject.toml bumped (console/version.py reads the
installed package's metadata, so pyproject is the one place), C with one more
Alembic revision that fails half-way. B and C install their dependencies from
A's wheelhouse. The database is the test session's throwaway PostgreSQL
cluster (ops_console_database_url), as in test_console_role.py; the services
run under start-stop-daemon (the role's process mode: lab hosts have no
systemd); /healthz is asked through the role's nginx over HTTPS, trusting the
CA the role made.
"""

from __future__ import annotations

import functools
import http.client
import json
import re
import ssl
import subprocess
import tomllib
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from console import migrate
from console.lab import wheel
from console.models import Host, User
from tests.fixtures.lab import ROOT, Lab

pytestmark = pytest.mark.lab
SECRET_KEY = "lab-console-upgrade-secret-key-0123456789"
PASSWORD = "correct horse battery staple"
# The role before versioned venvs: what consoles installed until this change run.
FIRST_LAYOUT_ROLE = "fb7fd78b8cda1bcfed39f0a613946cdd4be96b80"
VERSION_A = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def bumped(version: str, step: int) -> str:
    major, minor, micro = (int(part) for part in re.match(r"(\d+)\.(\d+)\.(\d+)", version).groups())
    return f"{major}.{minor}.{micro + step}"


VERSION_B, VERSION_C = bumped(VERSION_A, 1), bumped(VERSION_A, 2)


def build_wheel(work: Path, version: str, broken_migration: bool = False) -> Path:
    """This source's wheel as `version`, optionally with a migration that fails, built as the lab builds its own."""
    tree = wheel.copy_source(work / "src")
    pyproject = tree / "pyproject.toml"
    pyproject.write_text(re.sub(r'(?m)^version = ".*"$', f'version = "{version}"', pyproject.read_text(), count=1))
    if broken_migration:
        (tree / "console/migrations/versions/9999_broken.py").write_text(
            '"""A migration that fails half-way (test_console_upgrade.py)"""\nfrom alembic import op\n'
            "import sqlalchemy as sa\n\n"
            f"revision = '9999'\ndown_revision = '{migrate.head_revision(None)}'\nbranch_labels = None\n"
            "depends_on = None\n\n\n"
            "def upgrade() -> None:\n    op.add_column('users', sa.Column('upgrade_test', sa.Integer()))\n"
            "    op.execute('SELECT no_such_column FROM users')\n")
    built = wheel.agent_wheel(work / "var", tree)
    assert built.name == f"ops_console-{version}-py3-none-any.whl"
    return built


class UpgradeLab:
    def __init__(self, lab: Lab, database_url: str, work: Path):
        self.lab, self.database_url, self.work = lab, database_url, work
        self.unsettled = False  # a failed run of another wheel left what the next run of B tidies
        self.host = lab.hosts[0]
        self.root = Path(self.host.install_root)
        self.home = self.root / "opt/ops-console"
        house = wheel.console_wheelhouse(ROOT / "var")
        self.wheel_a = next(house.parent.glob("ops_console-*.whl"))
        self.extravars = {
            "ops_console_wheel": str(self.wheel_a),
            "ops_console_wheelhouse": str(house),
            "ops_console_secret_key": SECRET_KEY,
            "ops_console_database_url": database_url,
            "ops_console_listen_addresses": [self.host.address],
            "ops_console_default_locale": "en",
            "ops_console_inventory_src": f"{lab.inventory}/",
        }

    def run(self, wheel_path: Path, check: bool = False, playbooks: Path = ROOT / "playbooks"):
        return self.lab.run_playbook("console.yml", dict(self.extravars, ops_console_wheel=str(wheel_path)),
                                     limit=self.host.name, check=check, playbooks=playbooks)

    def first_layout_playbooks(self) -> Path:
        """playbooks/ (and the rules/ its role sends) as they were before versioned venvs."""
        tree = self.work / "first-layout"
        tree.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", FIRST_LAYOUT_ROLE, "playbooks", "rules"],
                                 capture_output=True, check=True, timeout=60).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True, timeout=60)
        return tree / "playbooks"

    def healthz(self) -> tuple[int, dict]:
        """/healthz through nginx over HTTPS: the status code and the body."""
        context = ssl.create_default_context(cafile=str(self.root / "etc/ops-console/tls/ca.pem"))
        conn = http.client.HTTPSConnection(self.host.address, 443, context=context, timeout=10)
        try:
            conn.request("GET", "/healthz")
            response = conn.getresponse()
            return response.status, json.loads(response.read())
        finally:
            conn.close()

    def ops(self, *args: str, stdin: str = "") -> str:
        result = subprocess.run(["ip", "netns", "exec", self.host.namespace, str(self.root / "usr/local/sbin/ops"),
                                 *args], input=stdin, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def data(self) -> tuple[set[str], int]:
        """The console's users and how many hosts it knows."""
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                return (set(conn.execute(select(User.username)).scalars()),
                        conn.execute(select(func.count()).select_from(Host)).scalar_one())
        finally:
            engine.dispose()

    def venv_link(self) -> str:
        return str((self.home / "venv").readlink())

    def backups(self) -> list[Path]:
        return sorted((self.root / "var/lib/ops-console/backups").glob("ops-backup-*.tar.gz"))

    @functools.cached_property
    def wheel_b(self) -> Path:
        return build_wheel(self.work / "b", VERSION_B)

    @functools.cached_property
    def wheel_c(self) -> Path:
        return build_wheel(self.work / "c", VERSION_C, broken_migration=True)

    @functools.cached_property
    def version_a(self) -> dict:
        """Version A installed by the role as it was before versioned venvs, with an admin: what it left."""
        result = self.run(self.wheel_a, playbooks=self.first_layout_playbooks())
        if result.status != "successful":
            return {"result": result}
        healthz = self.healthz()
        self.ops("user", "add", "thu", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
        venv = self.home / "venv"
        return {"result": result, "healthz": healthz, "data": self.data(),
                "plain_venv": venv.is_dir() and not venv.is_symlink()}

    @functools.cached_property
    def version_b(self) -> dict:
        """The upgrade from version A to B in place: what it left."""
        assert self.version_a["result"].status == "successful", "version A did not install"
        before = self.data()
        result = self.run(self.wheel_b)
        if result.status != "successful":
            return {"result": result}
        previous = self.home / "venv.previous"
        old_venv = previous.resolve() if previous.is_symlink() else previous
        moved = subprocess.run([str(old_venv / "bin/python"), "-c",
                                "import importlib.metadata as m; print(m.version('ops-console'))"],
                               capture_output=True, text=True, timeout=60)
        return {"result": result, "healthz": self.healthz(), "before": before, "data": self.data(),
                "backups": len(self.backups()), "link": self.venv_link(),
                "previous": str(previous.readlink()) if previous.is_symlink() else None,
                "previous_version": moved.stdout.strip() or moved.stderr}

    def at_version_b(self) -> None:
        assert self.version_b["result"].status == "successful", "the upgrade to version B failed"

    def settled_on_b(self) -> None:
        """At version B with the role's last run a successful one of B's wheel. After a failed upgrade (the
        failing migration's test) the new version's venv is left for the next run to remove."""
        self.at_version_b()
        if self.unsettled:
            result = self.run(self.wheel_b)
            assert result.status == "successful", (result.stats, result.failures())
            self.unsettled = False


@pytest.fixture(scope="module")
def upgrade_lab(postgres, tmp_path_factory):
    lab = Lab(1)
    try:
        yield UpgradeLab(lab, postgres.new_database(), tmp_path_factory.mktemp("upgrade"))
    finally:
        lab.down()


def test_version_a_installed_by_the_role_before_upgrades_holds_data(upgrade_lab):
    installed = upgrade_lab.version_a

    result = installed["result"]
    assert result.status == "successful", (result.stats, result.failures())
    assert installed["healthz"] == (200, {"status": "ok", "database": "ok", "version": VERSION_A})
    users, hosts = installed["data"]
    assert users == {"thu"} and hosts > 0  # the role's `ops inventory sync` brought the lab's hosts
    assert installed["plain_venv"]


def test_version_b_upgrades_in_place_keeping_the_data_and_a_backup(upgrade_lab):
    upgraded = upgrade_lab.version_b

    result = upgraded["result"]
    assert result.status == "successful", (result.stats, result.failures())
    assert upgraded["healthz"] == (200, {"status": "ok", "database": "ok", "version": VERSION_B})
    assert upgraded["data"] == upgraded["before"]
    assert upgraded["backups"] == 1
    assert upgraded["link"].startswith(f"venvs/{VERSION_B}-")
    # The previous venv stays whole, to go back to.
    assert upgraded["previous"] == f"venvs/{VERSION_A}-first-layout"
    assert upgraded["previous_version"] == VERSION_A
    changed = {task for _, task in result.changed_tasks()}
    assert {"Back up the database and files with the installed version (ops db backup)",
            "Switch the console to the new version's venv",
            "Bring the database schema to the new version (ops db upgrade)"} <= changed, changed


def test_a_second_run_with_the_same_wheel_changes_nothing(upgrade_lab):
    upgrade_lab.settled_on_b()
    backups = upgrade_lab.backups()

    result = upgrade_lab.run(upgrade_lab.wheel_b)

    assert result.status == "successful", (result.stats, result.failures())
    assert result.hosts_with("changed") == set(), result.changed_tasks()
    assert upgrade_lab.backups() == backups


def test_a_check_run_with_a_new_wheel_predicts_the_upgrade_and_changes_nothing(upgrade_lab):
    upgrade_lab.at_version_b()
    link, backups = upgrade_lab.venv_link(), upgrade_lab.backups()

    result = upgrade_lab.run(upgrade_lab.wheel_c, check=True)

    assert result.status == "successful", (result.stats, result.failures())
    messages = [str(e["event_data"].get("res", {}).get("msg", "")) for e in result.events
                if e.get("event") == "runner_on_ok"]
    assert any(f"would upgrade the console from {VERSION_B} to {VERSION_C}" in m for m in messages), messages
    assert upgrade_lab.venv_link() == link
    assert upgrade_lab.healthz()[1]["version"] == VERSION_B
    assert upgrade_lab.backups() == backups


def test_a_failing_migration_brings_the_previous_version_back_on_its_backup(upgrade_lab):
    upgrade_lab.at_version_b()
    upgrade_lab.ops("user", "add", "lan", "--role", "it_staff", "--password-stdin", stdin=PASSWORD + "\n")
    before = upgrade_lab.data()
    link, earlier = upgrade_lab.venv_link(), upgrade_lab.backups()

    result = upgrade_lab.run(upgrade_lab.wheel_c)
    upgrade_lab.unsettled = True

    assert result.status == "failed"
    failures = " ".join(result.failures())
    backups = upgrade_lab.backups()
    assert len(backups) == len(earlier) + 1
    assert 'failed at "Bring the database schema to the new version (ops db upgrade)"' in failures, failures
    assert "no_such_column" in failures and f"{VERSION_B} runs again" in failures, failures
    assert f"restored from the backup {backups[-1]} " in failures, failures
    # B's own `ops db restore` put the backup back (PostgreSQL had also rolled the failed migration back).
    restored = [e["event_data"]["res"].get("stdout", "") for e in result.events if e.get("event") == "runner_on_ok"
                and e["event_data"].get("task") == "Restore the backup with the previous version (ops db restore)"]
    assert len(restored) == 1 and str(backups[-1]) in restored[0], restored
    assert f"by Ops Console {VERSION_B})" in restored[0], restored
    assert upgrade_lab.healthz() == (200, {"status": "ok", "database": "ok", "version": VERSION_B})
    assert upgrade_lab.venv_link() == link
    assert upgrade_lab.data() == before  # "lan", added after the upgrade to B, came back with the backup
    # The schema is B's again, without the failed migration's column.
    engine = create_engine(upgrade_lab.database_url)
    try:
        assert migrate.current_revision(engine) == migrate.head_revision(None)
        with engine.connect() as conn:
            columns = {row[0] for row in conn.exec_driver_sql(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'users'")}
        assert "upgrade_test" not in columns
    finally:
        engine.dispose()


def test_a_wheel_whose_name_gives_no_version_is_refused_before_anything_changes(upgrade_lab):
    upgrade_lab.at_version_b()
    renamed = upgrade_lab.work / "ops-console-latest.whl"
    renamed.write_bytes(upgrade_lab.wheel_a.read_bytes())
    link = upgrade_lab.venv_link()

    result = upgrade_lab.run(renamed)

    assert result.status == "failed"
    failures = " ".join(result.failures())
    assert "ops_console_wheel must be a wheel named" in failures and "ops-console-latest.whl" in failures, failures
    assert upgrade_lab.venv_link() == link
    assert upgrade_lab.healthz()[1]["version"] == VERSION_B

