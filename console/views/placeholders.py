"""Areas whose parts are built by later issues: the navigation already leads to them.

Each page says plainly what will be here and which part brings it, rather
than showing made-up data.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l

bp = Blueprint("areas", __name__)

AREAS = {
    "alerts": (_l("Alerts"), _l("The IDS alert inbox: Suricata EVE ingest, grouping, triage and false-positive feedback.")),
    "rules": (_l("Rules"), _l("The IDS rule manager: sources, policy, validated and tested rulesets, versions and deploy.")),
    "jobs": (_l("Jobs"), _l("Playbook runs through ansible-runner with live output and history.")),
}


def _register(area: str) -> None:
    title, purpose = AREAS[area]

    def view():
        return render_template("areas/pending.html", title=title, purpose=purpose, area=area)

    bp.add_url_rule(f"/{area}/", area, view, methods=["GET"])


for _area in AREAS:
    _register(_area)
