"""Areas whose parts are built by later issues: the navigation already leads to them.

Each page says plainly what will be here and which part brings it, rather
than showing made-up data.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l

bp = Blueprint("areas", __name__)

AREAS = {
    "compliance": (_l("Compliance"), _l("Controls for firewalls, UPS, endpoints, IDS and servers, nightly runs with history and reports.")),
}


def _register(area: str) -> None:
    title, purpose = AREAS[area]

    def view():
        return render_template("areas/pending.html", title=title, purpose=purpose, area=area)

    bp.add_url_rule(f"/{area}/", area, view, methods=["GET"])


for _area in AREAS:
    _register(_area)
