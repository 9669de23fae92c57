"""The coverage figure in the compliance run report, the system dossier and the annual report."""

from __future__ import annotations

import json

from console.access.actor import Actor
from console.compliance import dossier, reports
from console.compliance import runs as compliance_runs
from console.compliance.catalog import load_catalog
from console.db import session_scope
from console.endpoints import service


def test_the_run_report_the_dossier_and_the_annual_report_carry_the_coverage(session_factory, synced, ksc_settings):
    with session_scope(session_factory) as session:
        assert service.sync(session, ksc_settings, Actor.cli()).status == "ok"
    catalog = load_catalog()
    outcome = compliance_runs.execute(session_factory, Actor.cli(), catalog)
    with session_factory() as session:
        page = reports.html(session, outcome.run_id, catalog, "en")
        annual = dossier.collect(session, "annual")
        land = dossier.collect(session, "dossier", "system_land_procedures")
        annual_html = dossier.html(annual, "vi")
    assert 'data-testid="coverage-report"' in page and "dtnmt-bak-01 (no KSC)" in page
    assert annual["coverage"]["endpoints"] == 15 and annual["coverage"]["exist"] > 15
    assert 'data-testid="coverage-report"' in annual_html and 'data-testid="coverage-report"' in dossier.html(land, "en")
    assert json.loads(dossier.render_bytes(land, "json", "en"))["coverage"]["percent"] == land["coverage"]["percent"]
