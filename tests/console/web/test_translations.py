"""Every string the console shows has a Vietnamese translation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

REPO = Path(__file__).resolve().parents[3]


def test_every_ui_string_is_translated_to_vietnamese(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(REPO / "babel.cfg"),
                    "-k", "_l", "-o", str(pot), "--no-location", "."],
                   check=True, capture_output=True, cwd=REPO)
    with pot.open("rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    assert len(wanted) > 100, "extraction found no UI strings: babel.cfg patterns do not match"
    with (REPO / "console/translations/vi/LC_MESSAGES/messages.po").open("rb") as handle:
        translated = {m.id for m in read_po(handle) if m.id and m.string}
    assert sorted(wanted - translated) == []
