"""Take docs/screenshot.png: the overview of a console with the shipped inventory.

Run with `.venv/bin/python scripts/screenshot.py` after `make setup` and the
test packages (Debian's chromium). Uses a throwaway SQLite database.
"""

from __future__ import annotations

import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from console import create_app, migrate  # noqa: E402
from console.db import make_engine, make_session_factory, session_scope  # noqa: E402
from console.access import users  # noqa: E402
from console.access.actor import Actor  # noqa: E402
from console.inventory.sync import sync_inventory  # noqa: E402
from console.settings import load_settings  # noqa: E402

PASSWORD = "screenshot password"


def main(locale: str = "vi") -> None:
    folder = Path(tempfile.mkdtemp(prefix="ops-shot-"))
    config = folder / "ops.toml"
    config.write_text(f'[console]\nsecret_key = "screenshot"\ndefault_locale = "{locale}"\n'
                      f'[database]\nurl = "sqlite:///{folder}/ops.db"\n[paths]\nvar_dir = "{folder}/var"\n'
                      f'[inventory]\npath = "{REPO / "inventory"}"\n')
    settings = load_settings(config)
    engine = make_engine(settings.database_url)
    migrate.upgrade(engine)
    with session_scope(make_session_factory(engine)) as db:
        users.create_user(db, Actor.cli(), settings.security, "thanh", "admin", password=PASSWORD,
                          display_name="Nguyễn Văn Thành")
        sync_inventory(db, Actor.cli(), settings.inventory)
    server = make_server("127.0.0.1", 0, create_app(settings), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        page.goto(f"{url}/login")
        page.fill("input[name=username]", "thanh")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("canvas.chart[data-drawn]")
        page.screenshot(path=str(REPO / "docs" / "screenshot.png"))
        browser.close()
    server.shutdown()
    print(REPO / "docs" / "screenshot.png")


if __name__ == "__main__":
    main(*sys.argv[1:])
