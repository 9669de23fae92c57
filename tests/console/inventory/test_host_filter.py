"""One hosts filter (console.inventory.hosts.HostFilter): the Hosts page, GET /api/v1/hosts and `ops fleet list` narrow
the shipped inventory's 27 hosts to the same names for the same unit, role and search, and refuse the same bad status."""

from __future__ import annotations

import re

import pytest

from tests.fixtures.cli import ops

QUERIES = [{"unit": "unit_it_centre"}, {"role": "role_web_portal"}, {"q": "ids"},
           {"unit": "unit_env_monitoring", "role": "role_web_portal"}, {"status": "retired"}, {"status": "all"}]
CLI_OPTION = {"unit": "--unit", "role": "--role", "q": "--search", "status": "--status"}


@pytest.mark.sqlite_only  # the same query on both databases is list_hosts', tested there
def test_page_api_and_cli_narrow_the_hosts_the_same_way(config_file, synced, client, token_for, logged_in):
    headers = token_for("auditor")
    logged_in("it_staff")
    seen = []
    for query in QUERIES:
        text = "&".join(f"{key}={value}" for key, value in query.items())
        page = client.get(f"/hosts/?{text}").get_data(as_text=True)
        on_page = re.findall(r'<tr><td><a href="/hosts/([^"]+)">', page)
        api_query = "" if query.get("status") == "all" else text  # the API lists both statuses by default
        in_api = [h["name"] for h in client.get(f"/api/v1/hosts?limit=500&{api_query}", headers=headers).json["data"]]
        result = ops("fleet", "list", *[part for key, value in query.items() for part in (CLI_OPTION[key], value)],
                     config=config_file)
        assert result.returncode == 0, result.stderr
        in_cli = [line.split()[0] for line in result.stdout.splitlines()[1:]]
        assert on_page == in_api == in_cli, query
        seen.append(len(on_page))
    assert seen[0] and seen[1] and seen[2] and seen[4] == 0 and seen[5] == 27, seen
    assert sorted(seen[:4]) != [27] * 4  # each narrows


def test_a_bad_status_is_refused_naming_the_field_everywhere(config_file, synced, client, token_for, logged_in):
    refused = client.get("/api/v1/hosts?status=all", headers=token_for("auditor"))  # no default status to undo
    assert refused.status_code == 400 and refused.json["errors"][0]["field"] == "status"
    logged_in("auditor")
    assert client.get("/hosts/?status=gone").status_code == 400
    result = ops("fleet", "list", "--status", "gone", config=config_file)
    assert result.returncode == 2 and "must be active or retired" in result.stderr and "Traceback" not in result.stderr
