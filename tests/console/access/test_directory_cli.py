"""`ops auth ldap test` and the scheduler's re-check, against the real slapd."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from console.cli import main
from console.db import session_scope
from console.models.users import User
from console.access.directory.schedule import recheck_directory
from console.scheduler import build_scheduler
from console.settings import load_settings
from tests.fixtures.slapd import PASSWORDS, ldap_options, ldap_password_file, ldap_toml, slapd  # noqa: F401


@pytest.fixture
def config_file(config_file, slapd, ldap_password_file):
    """The test console's ops.toml with [auth.ldap] pointing at the test's slapd."""
    config_file.write_text(config_file.read_text() + ldap_toml(ldap_options(slapd, ldap_password_file)))
    return config_file


def ops(config_file, *args, input=None):
    return CliRunner().invoke(main, ["-c", str(config_file), *args], input=input)


def test_ldap_test_prints_dn_groups_and_role_and_stores_nothing(config_file, session_factory):
    result = ops(config_file, "auth", "ldap", "test", "bob", "--password-stdin", input=PASSWORDS["bob"] + "\n")
    assert result.exit_code == 0, result.output
    assert "dn: uid=bob,ou=people,dc=example,dc=org" in result.output
    assert "  cn=audit-team,ou=groups,dc=example,dc=org" in result.output
    assert "  cn=ops-auditors,ou=groups,dc=example,dc=org" in result.output
    assert "role: auditor" in result.output and "password: ok" in result.output
    assert PASSWORDS["bob"] not in result.output
    with session_scope(session_factory) as session:
        assert session.scalar(select(func.count(User.id))) == 0


def test_ldap_test_says_why_a_user_could_not_sign_in(config_file):
    dave = ops(config_file, "auth", "ldap", "test", "dave", "--no-password")
    assert dave.exit_code == 1 and "role: - (in no mapped group" in dave.output
    erin = ops(config_file, "auth", "ldap", "test", "erin", "--no-password")
    assert erin.exit_code == 1 and "disabled in the directory: yes" in erin.output
    wrong = ops(config_file, "auth", "ldap", "test", "alice", "--password-stdin", input="nope\n")
    assert wrong.exit_code == 1 and "password: refused by the directory" in wrong.output
    nobody = ops(config_file, "auth", "ldap", "test", "nobody", "--no-password")
    assert nobody.exit_code == 1 and "not found" in nobody.output
    injected = ops(config_file, "auth", "ldap", "test", "*)(uid=*", "--no-password")
    assert injected.exit_code == 1 and "filter characters" in injected.output


def test_ldap_test_prompts_for_the_password(config_file):
    result = ops(config_file, "auth", "ldap", "test", "carol", input=PASSWORDS["carol"] + "\n")
    assert result.exit_code == 0, result.output
    assert "role: security_officer" in result.output and "password: ok" in result.output


def test_scheduler_recheck_job_looks_at_directory_accounts(config_file, session_factory, client):
    from tests.conftest import csrf_token

    page = client.get("/login")
    response = client.post("/login", data={"username": "alice", "password": PASSWORDS["alice"],
                                           "csrf_token": csrf_token(page.get_data(as_text=True))})
    assert response.status_code == 302
    settings = load_settings(config_file)
    result = recheck_directory(settings, session_factory)
    assert (result.checked, result.withdrawn, result.unreachable) == (1, 0, False)
    job = build_scheduler(settings).get_job("directory-recheck")
    assert job.trigger.interval.total_seconds() == settings.auth.ldap.recheck_minutes * 60
