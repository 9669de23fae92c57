"""A person polls a UPS from the Devices page in Debian's chromium (no CSP or script error)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from console.settings import load_settings
from tests.console.tasks.fixtures import task_worker  # noqa: F401  (fixture)
from tests.e2e.test_browser import log_in, page  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


@pytest.fixture
def settings(config_file, upsd):
    _file, port, _server = upsd
    config_file.write_text(config_file.read_text() + f"""
[[devices]]
name = "ups-room-a"
kind = "ups"
connector = "nut"
address = "127.0.0.1"
port = {port}
ups = "testups"
hosts = ["dtnmt-web-01"]
""")
    return load_settings(config_file)


def test_it_staff_polls_a_ups_from_the_devices_page(page, live_server, make_user, task_worker):  # noqa: F811
    make_user("minh", "it_staff")
    log_in(page, live_server.url, "minh")
    page.get_by_role("link", name="Devices").click()
    row = page.get_by_role("row").filter(has_text="ups-room-a")
    expect(row.get_by_test_id("device-status")).to_have_text("Unknown")
    expect(row).to_contain_text("never polled")
    row.get_by_test_id("poll-ups-room-a").click()
    # the poll runs in the task worker; its page follows it (htmx) and links to the device when it is done
    expect(page.get_by_test_id("task-result")).to_have_text("ups-room-a polled: ok", timeout=30_000)
    page.get_by_test_id("task-result-link").click()
    expect(page.get_by_role("heading", name="ups-room-a")).to_be_visible()
    expect(page.get_by_test_id("device-status")).to_have_text("OK")
    expect(page.get_by_test_id("ups-state")).to_contain_text("OL")
    expect(page.get_by_test_id("device-history")).to_contain_text("Done and passed")
    page.get_by_role("link", name="Devices").click()
    expect(page.get_by_role("row").filter(has_text="ups-room-a").get_by_test_id("device-status")).to_have_text("OK")
