"""Reports the department files: a level dossier per system and the annual report for all systems.

Both read a run's stored assessments (console.compliance.system_assessment),
so a dossier shows what was judged in that run. HTML and PDF are one Jinja
template (templates/compliance/dossier.html) rendered in Vietnamese or
English with the console's translations, PDF by WeasyPrint with Noto Sans
(the same machinery as console.compliance.reports); CSV and JSON carry the
same rows. The annual report rests on TT 12/2022 Điều 13.4 and NĐ 331/2026
Điều 35.4: units report by 20 December.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from typing import Iterable

from sqlalchemy.orm import Session

from console.compliance.reports import TEMPLATES, _atomic, _cell, _environment
from console.compliance.reasons import say_row
from console.compliance.requirements import cached_frameworks
from console.errors import NotFound, ValidationFailed
from console.compliance import history as compliance_history
from console.compliance import system_assessment
from console.inventory.hosts import unit_labels

FORMATS = ("html", "pdf", "csv", "json")
LOCALES = ("vi", "en")
KINDS = ("dossier", "annual")
CSV_COLUMNS = ("system", "level", "framework", "part", "requirement_id", "clause", "title", "verdict", "why",
               "hosts_not_passing", "manual_evidence")


def collect(session: Session, kind: str, system_key: str | None = None, run_id: int | None = None) -> dict:
    """The data of one report: the run, and each system's assessment with its framework's title and legal basis."""
    if kind not in KINDS:
        raise ValidationFailed("kind", f"must be one of {', '.join(KINDS)}")
    if run_id is None:
        run_id = system_assessment.get(session, system_key).run_id if system_key else _latest_run_id(session)
    run = compliance_history.get_run(session, run_id)
    rows = system_assessment.of_run(session, run_id, system_key if kind == "dossier" else None)
    if kind == "dossier" and not rows:
        raise NotFound(f"no assessment of system {system_key!r} in run {run_id}")
    frameworks = cached_frameworks()
    units = {locale: unit_labels(session, locale) for locale in LOCALES}
    systems = []
    for row in rows:
        item = system_assessment.assessment_as_dict(row)
        spec = frameworks[row.framework].spec
        item["framework_title"], item["legal_basis"] = spec.title.model_dump(), spec.legal_basis.model_dump()
        item["owner_unit_name"] = {locale: units[locale].get(row.owner_unit, row.owner_unit) for locale in LOCALES}
        systems.append(item)
    started = run.started_at
    from console.endpoints.coverage import overview as endpoint_coverage
    from console.vulns.queries import report_figures as vulns_figures

    return {"kind": kind, "run": compliance_history.run_as_dict(run), "systems": systems,
            "year": started.year, "deadline": date(started.year, 12, 20).isoformat(),
            "coverage": endpoint_coverage(session),
            "vulns_figures": vulns_figures(session, started.year if kind == "annual" else None)}


def _latest_run_id(session: Session) -> int:
    run = compliance_history.latest_run(session)
    if run is None:
        raise NotFound("no compliance run yet: run `ops compliance run` first")
    return run.id


def html(data: dict, locale: str) -> str:
    return _environment(locale).get_template("compliance/dossier.html").render(locale=locale, **data)


def pdf(data: dict, locale: str) -> bytes:
    from weasyprint import HTML  # imported here: only PDF needs pango

    return HTML(string=html(data, locale), base_url=str(TEMPLATES)).write_pdf()


def rows(data: dict, locale: str) -> Iterable[dict]:
    """One row per requirement (and per transition-gap requirement) of every system in the report."""
    for system in data["systems"]:
        for part, items in (("requirement", system["requirements"]), ("transition_gap", system["transition_gap"])):
            for item in items:
                not_passing = sorted({h for result, hosts in item["hosts"].items() if result != "pass" for h in hosts})
                yield {"system": system["system"], "level": system["level"], "framework": item["framework"],
                       "part": part, "requirement_id": item["requirement_id"], "clause": item["clause"],
                       "title": item["title"][locale], "verdict": item["verdict"], "why": say_row(item, locale),
                       "hosts_not_passing": " ".join(not_passing),
                       "manual_evidence": "; ".join(f"{e['evidence_date']}..{e['expires_on']} {e['note'] or e['document_name']}"
                                                    for e in item["evidence"])}


def render_bytes(data: dict, fmt: str, locale: str) -> bytes:
    if fmt not in FORMATS or locale not in LOCALES:
        raise ValidationFailed("format", f"format must be one of {FORMATS} and language one of {LOCALES}")
    if fmt == "pdf":
        return pdf(data, locale)
    if fmt == "html":
        return html(data, locale).encode("utf-8")
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for row in rows(data, locale):
        writer.writerow({key: _cell(str(value)) for key, value in row.items()})
    return buffer.getvalue().encode("utf-8")


def filename(data: dict, fmt: str, locale: str) -> str:
    run_id = data["run"]["id"]
    stem = (f"dossier-{data['systems'][0]['system']}-run-{run_id}" if data["kind"] == "dossier"
            else f"annual-report-{data['year']}-run-{run_id}")
    return f"{stem}.{locale}.{fmt}" if fmt in ("html", "pdf", "csv") else f"{stem}.{fmt}"


def write(data: dict, folder: Path, formats: Iterable[str], locales: Iterable[str] = LOCALES) -> list[Path]:
    """Write each format (HTML, PDF and CSV in each language) into `folder`, each file whole or absent."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        for locale in (locales if fmt != "json" else ("vi",)):
            path = folder / filename(data, fmt, locale)
            body = render_bytes(data, fmt, locale)
            _atomic(path, lambda handle, body=body: handle.write(body), binary=True)
            written.append(path)
    return written
