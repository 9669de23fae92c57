"""Alert severity as a word with a colour (Suricata 1 high, 2 medium, 3 low, else informational), in both languages."""

from __future__ import annotations

import html
import json
import re

import pytest
from sqlalchemy import select

from console.alerts.ingest import ingest_files
from console.alerts.severity import severity_level, severity_word
from console.models import AlertGroup
from tests.conftest import csrf_token

WORDS = {"en": {1: "high", 2: "medium", 3: "low", 4: "informational"},
         "vi": {1: "cao", 2: "trung bình", 3: "thấp", 4: "thông tin"}}


@pytest.mark.parametrize(("severity", "level"), [(1, "high"), (2, "medium"), (3, "low"), (4, "informational"),
                                                 (255, "informational"), (0, "informational"), (None, "informational"),
                                                 ("2", "medium")])
def test_one_mapping(severity, level):
    assert severity_level(severity) == level and severity_word(severity) == level


@pytest.fixture
def groups(factory, suricata_eve):
    ingest_files(factory, [suricata_eve], "sensor-a", 500, 65536)
    with factory() as session:
        return {group.id: group.severity for group in session.scalars(select(AlertGroup))}


def _badges(page: str) -> list[tuple[str, str]]:
    return re.findall(r'<span class="severity severity-([a-z]+)" data-testid="severity">([^<]+)</span>', page)


@pytest.mark.parametrize("locale", ["en", "vi"])
def test_inbox_group_page_and_filter_show_the_word(logged_in, groups, locale):
    client = logged_in("auditor")
    page = client.get("/alerts/").get_data(as_text=True)
    if locale == "vi":
        client.post("/language", data={"locale": "vi", "csrf_token": csrf_token(page)})
    words = WORDS[locale]
    assert {1, 3} <= set(groups.values())  # the fixture's rules fire at more than one severity
    for group_id, severity in groups.items():
        page = client.get(f"/alerts/groups/{group_id}").get_data(as_text=True)
        assert _badges(page) == [(severity_level(severity), words.get(severity, words[4]))]
    inbox = client.get("/alerts/").get_data(as_text=True)
    expected = sorted((severity_level(s), words.get(s, words[4])) for s in groups.values())
    assert sorted(_badges(inbox)) == expected
    # The filter offers words, its values stay the numbers (URLs and the API keep them).
    options = re.findall(r'<option value="(\d)" ?>([^<]+)</option>', inbox.split('name="severity"')[1].split("</select>")[0])
    assert options == [(str(n), words[n]) for n in (1, 2, 3, 4)]
    high = client.get("/alerts/?severity=1").get_data(as_text=True)
    assert {word for _, word in _badges(high)} == {words[1]}
    # The chart names its series by the same words.
    names = json.loads(html.unescape(re.search(r"data-severity-names='([^']+)'", inbox).group(1)))
    assert names == {str(n): words[n] for n in (1, 2, 3, 4)}


def test_exports_keep_the_number_beside_a_stable_english_level(logged_in, groups):
    import csv
    import io

    client = logged_in("auditor")
    data = client.get("/alerts/export.json?status=all").get_json()
    rows = data if isinstance(data, list) else data.get("groups", data.get("data", []))
    assert sorted((row["id"], row["severity"], row["severity_level"]) for row in rows) == sorted(
        (group_id, severity, severity_level(severity)) for group_id, severity in groups.items())
    text = client.get("/alerts/export.csv?status=all").get_data(as_text=True)
    assert sorted((int(r["id"]), int(r["severity"]), r["severity_level"]) for r in csv.DictReader(io.StringIO(text))) \
        == sorted((group_id, severity, severity_level(severity)) for group_id, severity in groups.items())


def test_css_colours_every_level():
    from pathlib import Path

    css = (Path(__file__).parents[3] / "console/static/app.css").read_text()
    for level in ("high", "medium", "low", "informational"):
        assert re.search(rf"\.severity-{level} \{{[^}}]*background", css), level
