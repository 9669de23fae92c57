"""Units and roles by their names on the hosts list, its filters and the host page; keys stay in URLs and the API."""

from __future__ import annotations

import html
import re

import pytest

from tests.conftest import csrf_token

NAMES = {
    "en": {"unit_it_centre": "IT Centre", "role_web_portal": "Web portal", "unit_env_monitoring":
           "Environmental Monitoring Centre"},
    "vi": {"unit_it_centre": "Trung tâm Công nghệ thông tin", "role_web_portal": "Cổng thông tin điện tử",
           "unit_env_monitoring": "Trung tâm Quan trắc Tài nguyên và Môi trường"},
}


def _cells(page: str, host: str, testid: str) -> str:
    row = re.search(rf'<tr><td><a href="/hosts/{host}">.*?</tr>', page, re.S).group(0)
    return html.unescape(re.search(rf'data-testid="{testid}">(.*?)</td>', row, re.S).group(1))


def _options(page: str, name: str) -> dict[str, str]:
    select = re.search(rf'<select name="{name}".*?</select>', page, re.S).group(0)
    return {value: html.unescape(label) for value, label in re.findall(r'<option value="([^"]*)"[^>]*>([^<]+)</option>', select)}


def _client(logged_in, locale):
    client = logged_in("auditor")
    if locale == "vi":
        page = client.get("/hosts/").get_data(as_text=True)
        client.post("/language", data={"locale": "vi", "csrf_token": csrf_token(page)})
    return client


@pytest.mark.parametrize("locale", ["en", "vi"])
def test_hosts_list_shows_unit_and_role_names(logged_in, synced, locale):
    names = NAMES[locale]
    client = _client(logged_in, locale)
    page = client.get("/hosts/").get_data(as_text=True)
    assert _cells(page, "dtnmt-web-01", "host-unit") == names["unit_it_centre"]
    assert _cells(page, "dtnmt-qt-web-01", "host-unit") == names["unit_env_monitoring"]
    assert _cells(page, "dtnmt-web-01", "host-roles") == names["role_web_portal"]
    status = re.search(r'data-testid="inventory-status">([^<]+)<', page).group(1)
    assert status == {"en": "Active", "vi": "Đang dùng"}[locale]
    assert "unit_it_centre" not in re.sub(r'(value|href)="[^"]*"', "", page)  # the key only in values and links
    units, roles = _options(page, "unit"), _options(page, "role")
    assert units["unit_it_centre"] == names["unit_it_centre"] and len(units) == 7  # six units and "any"
    assert roles["role_web_portal"] == names["role_web_portal"] and len(roles) == 14  # thirteen roles and "any"
    assert all(label != key for key, label in {**units, **roles}.items() if key)


@pytest.mark.parametrize("locale", ["en", "vi"])
def test_filters_take_the_key_and_show_the_name_selected(logged_in, synced, locale):
    names = NAMES[locale]
    client = _client(logged_in, locale)
    page = client.get("/hosts/?unit=unit_env_monitoring&role=role_web_portal").get_data(as_text=True)
    assert re.findall(r'<tr><td><a href="/hosts/([^"]+)">', page) == ["dtnmt-qt-web-01"]
    selected = re.search(r'<select name="unit".*?<option value="([^"]+)" selected>([^<]+)<', page, re.S)
    assert selected.groups() == ("unit_env_monitoring", names["unit_env_monitoring"])


@pytest.mark.parametrize("locale", ["en", "vi"])
def test_host_page_shows_names_linking_to_the_filtered_list(logged_in, synced, locale):
    names = NAMES[locale]
    client = _client(logged_in, locale)
    page = client.get("/hosts/dtnmt-web-01").get_data(as_text=True)
    unit = re.search(r'data-testid="host-unit"><a href="([^"]+)">([^<]+)</a>', page)
    assert unit.groups() == ("/hosts/?unit=unit_it_centre", names["unit_it_centre"])
    roles = re.findall(r'<a href="/hosts/\?role=([^"]+)">([^<]+)</a>', page)
    assert [(key, html.unescape(label)) for key, label in roles] == [("role_web_portal", names["role_web_portal"])]


def test_api_keeps_the_keys(logged_in, synced, make_user, session_factory):
    from console.access import tokens
    from console.access.actor import Actor, Role
    from console.db import session_scope

    make_user("watch", "auditor")
    with session_scope(session_factory) as session:
        _row, token = tokens.create_token(session, Actor("watch", Role.auditor), "t", None, 1)
    client = logged_in("auditor")
    response = client.get("/api/v1/hosts/dtnmt-web-01", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    data = response.json["data"]
    assert data["unit"] == "unit_it_centre" and data["roles"] == ["role_web_portal"]


@pytest.mark.parametrize("locale", ["en", "vi"])
def test_compliance_trend_by_unit_names_its_series_and_the_run_page_its_units(logged_in, synced, session_factory,
                                                                             locale):
    from tests.console.overview import helpers

    _first, second = helpers.two_runs(session_factory)
    names = NAMES[locale]
    client = _client(logged_in, locale)
    data = client.get("/compliance/data/trend?by=unit").get_json()
    assert data["names"]["unit_it_centre"] == names["unit_it_centre"]
    assert set(data["names"]) == set(data["series"]) and "unit_it_centre" in data["series"]
    page = html.unescape(client.get(f"/compliance/runs/{second}?target=dtnmt-web-01").get_data(as_text=True))
    assert f"<td>{names['unit_it_centre']}</td>" in page
