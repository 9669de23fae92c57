"""The overview of a console with nothing yet: each tile says what to do."""

from __future__ import annotations

DEVICES = False  # this module's ops.toml configures no devices (conftest.py)


def test_empty_database_says_what_to_do(logged_in):
    html = logged_in("it_staff").get("/").get_data(as_text=True)
    assert "No compliance run yet: `ops compliance run`" in html
    assert "No IDS alerts yet" in html and "ops alerts follow" in html
    assert "No devices yet: add [[devices]] to ops.toml" in html
    assert "No active ruleset yet" in html
    assert "No hosts yet: sync the inventory" in html
    assert 'data-testid="incidents-empty"' in html and 'data-testid="systems-empty"' in html
    assert "Not yet measured" not in html
