"""The login page with [auth.ldap] enabled: what a directory user is told, in English and Vietnamese."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, csrf_token
from tests.fixtures.slapd import PASSWORDS, ldap_options, ldap_password_file, ldap_toml, slapd  # noqa: F401


@pytest.fixture
def config_file(config_file, slapd, ldap_password_file, request):
    changes = getattr(request, "param", {})
    config_file.write_text(config_file.read_text() + ldap_toml(ldap_options(slapd, ldap_password_file, **changes)))
    return config_file


def post_login(client, username, password):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def test_directory_user_signs_in_and_the_users_page_shows_the_source(client, make_user):
    assert post_login(client, "alice", PASSWORDS["alice"]).status_code == 302
    page = client.get("/users/").get_data(as_text=True)
    assert 'data-testid="source-alice"' in page and "directory" in page


def test_user_in_no_mapped_group_is_told_why(client):
    response = post_login(client, "dave", PASSWORDS["dave"])
    assert response.status_code == 403
    assert "in no group that gives a role" in response.get_data(as_text=True)


def test_wrong_password_gets_the_usual_answer(client):
    response = post_login(client, "alice", "wrong-password")
    assert response.status_code == 401 and "Wrong user name or password." in response.get_data(as_text=True)


@pytest.mark.parametrize("config_file", [{"url": "ldaps://127.0.0.1:1"}], indirect=True)
def test_directory_down_says_unreachable_and_local_admin_still_signs_in(client, make_user):
    response = post_login(client, "alice", PASSWORDS["alice"])
    assert response.status_code == 503
    assert "The directory is unreachable" in response.get_data(as_text=True)
    make_user("breakglass", "admin")
    assert post_login(client, "breakglass", PASSWORD).status_code == 302


def test_a_nul_in_the_user_name_is_refused_not_a_server_error(client):
    """PostgreSQL text cannot hold NUL: the form is refused at the edge (400 naming the field), never a 500."""
    for name in ("alice\x00", "admin\x00)(uid=*"):
        response = post_login(client, name, "whatever-password")
        assert response.status_code == 400
        assert "username" in response.get_data(as_text=True)
