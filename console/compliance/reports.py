"""Reports of a stored run: HTML, PDF (Vietnamese and English), CSV, JSON and JUnit XML.

The HTML and the PDF are the same Jinja template (templates/compliance/report.html)
rendered with the console's Babel translations for the language asked, so
they need no Flask app; WeasyPrint turns the HTML into PDF with the Noto
fonts (Vietnamese diacritics included). CSV, JSON and JUnit stream every
result from the database; HTML and PDF list every result that is not a pass
(up to MAX_LISTED) and count the passes. Files are written to a temporary
name and renamed, so a report is either whole or absent.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Callable, Iterable, TextIO
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from console.compliance.catalog import CATEGORIES, Catalog
from console.compliance.history import get_run, iter_results, result_as_dict, run_as_dict
from console.compliance.reasons import say_row
from console.common.i18n import translations as catalogue

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
FORMATS = ("html", "pdf", "csv", "json", "junit")
LOCALES = ("vi", "en")
MAX_LISTED = 5000
CSV_COLUMNS = ("control_id", "title", "target", "target_kind", "unit", "category", "severity", "result", "why",
               "evidence_at")


def filename(run_id: int, fmt: str, locale: str = "en") -> str:
    suffix = {"junit": "junit.xml", "html": f"{locale}.html", "pdf": f"{locale}.pdf"}.get(fmt, fmt)
    return f"compliance-run-{run_id}.{suffix}"


def write_reports(session: Session, run_id: int, catalog: Catalog, folder: Path, timezone: str = "UTC",
                  formats: Iterable[str] = FORMATS, locales: Iterable[str] = LOCALES) -> list[Path]:
    """Write the chosen formats into `folder`; returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        for locale in (locales if fmt in ("html", "pdf") else ("en",)):
            path = folder / filename(run_id, fmt, locale)
            _atomic(path, lambda handle: render(session, run_id, catalog, fmt, handle, locale, timezone),
                    binary=fmt == "pdf")
            written.append(path)
    return written


def render(session: Session, run_id: int, catalog: Catalog, fmt: str, out, locale: str = "en", timezone: str = "UTC"):
    """Write one report to the open file `out` (bytes for pdf, text otherwise)."""
    if fmt not in FORMATS or locale not in LOCALES:
        raise ValueError(f"format must be one of {FORMATS} and language one of {LOCALES}")
    if fmt == "html":
        out.write(html(session, run_id, catalog, locale, timezone))
    elif fmt == "pdf":
        out.write(pdf(session, run_id, catalog, locale, timezone))
    else:
        {"csv": _csv, "json": _json, "junit": _junit}[fmt](session, run_id, catalog, out)


def html(session: Session, run_id: int, catalog: Catalog, locale: str, timezone: str = "UTC") -> str:
    run = get_run(session, run_id)
    zone = ZoneInfo(timezone)
    listed = []
    for row in iter_results(session, run_id):
        if row.result != "pass" and len(listed) < MAX_LISTED:
            listed.append({**result_as_dict(row), "reason": row.reason})
    order = {"fail": 0, "unknown": 1, "waived": 2}
    listed.sort(key=lambda r: (order.get(r["result"], 3), -_rank(r["severity"]), r["control_id"], r["target"]))
    controls = catalog.by_id()
    titles = {cid: getattr(c.spec.title, locale) for cid, c in controls.items()}
    env = _environment(locale)
    return env.get_template("compliance/report.html").render(
        run=run_as_dict(run), started=run.started_at.astimezone(zone), finished=run.finished_at.astimezone(zone)
        if run.finished_at else None, timezone=timezone, locale=locale, listed=listed, titles=titles,
        categories=CATEGORIES, truncated=(run.counts or {}).get("total", 0) - (run.counts or {}).get("pass", 0) > MAX_LISTED,
        controls=[controls[cid] for cid in sorted(controls)], coverage=_endpoint_coverage(session),
        vulns_figures=_vulns_figures(session))


def _vulns_figures(session: Session) -> dict | None:
    """Known vulnerabilities on the active hosts (console.vulns), as of now, for the report."""
    from console.vulns.queries import report_figures

    return report_figures(session)


def _endpoint_coverage(session: Session) -> dict:
    """The antivirus coverage figure with its lists (console.endpoints), as of now, for the report."""
    from console.endpoints.coverage import coverage

    return coverage(session)


def pdf(session: Session, run_id: int, catalog: Catalog, locale: str, timezone: str = "UTC") -> bytes:
    from weasyprint import HTML  # imported here: only PDF needs pango

    return HTML(string=html(session, run_id, catalog, locale, timezone), base_url=str(TEMPLATES)).write_pdf()


def _environment(locale: str) -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                      extensions=["jinja2.ext.i18n"])
    translations = catalogue(locale)
    env.install_gettext_translations(translations, newstyle=True)
    env.filters["reason"] = lambda row: say_row(row, locale)
    return env


def _rank(severity: str) -> int:
    return {"low": 1, "medium": 2, "high": 3, "critical": 4}.get(severity, 0)


def _csv(session: Session, run_id: int, catalog: Catalog, out: TextIO) -> None:
    titles = {c.id: c.spec.title.en for c in catalog.controls}
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in iter_results(session, run_id):
        writer.writerow([row.control_id, titles.get(row.control_id, ""), row.target, row.target_kind, row.unit,
                         row.category, row.severity, row.result, _cell(row.why),
                         row.evidence_at.isoformat() if row.evidence_at else ""])


def _cell(text: str) -> str:
    """Spreadsheet formula injection: a cell starting with = + - @ is shown as text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _json(session: Session, run_id: int, _catalog: Catalog, out: TextIO) -> None:
    out.write('{"run": ' + json.dumps(run_as_dict(get_run(session, run_id))) + ', "results": [')
    for index, row in enumerate(iter_results(session, run_id)):
        out.write(("," if index else "") + "\n" + json.dumps(result_as_dict(row), default=str))
    out.write("\n]}\n")


def _junit(session: Session, run_id: int, catalog: Catalog, out: TextIO) -> None:
    """One testsuite per category, one testcase per control x target; fail = failure, unknown/waived = skipped."""
    run = get_run(session, run_id)
    counts = run.counts or {}
    titles = {c.id: c.spec.title.en for c in catalog.controls}
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(f'<testsuites name="compliance run {run.id}" tests="{counts.get("total", 0)}" '
              f'failures="{counts.get("fail", 0)}" skipped="{counts.get("unknown", 0) + counts.get("waived", 0)}">\n')
    for category, tally in (run.summary or {}).get("category", {}).items():
        tests = sum(tally.get(k, 0) for k in ("pass", "fail", "unknown", "waived"))
        out.write(f'  <testsuite name={quoteattr(category)} tests="{tests}" failures="{tally.get("fail", 0)}" '
                  f'skipped="{tally.get("unknown", 0) + tally.get("waived", 0)}" timestamp="{run.started_at.isoformat()}">\n')
        for row in iter_results(session, run_id, category=category):
            name = quoteattr(f"{row.control_id} {titles.get(row.control_id, '')} @ {row.target}")
            out.write(f'    <testcase classname={quoteattr(row.control_id)} name={name}>')
            if row.result == "fail":
                out.write(f'<failure message={quoteattr(row.why)} type={quoteattr(row.severity)}>{escape(row.why)}</failure>')
            elif row.result in ("unknown", "waived"):
                out.write(f'<skipped message={quoteattr(row.result + ": " + row.why)}/>')
            out.write("</testcase>\n")
        out.write("  </testsuite>\n")
    out.write("</testsuites>\n")


def _atomic(path: Path, write: Callable, binary: bool = False) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8", "newline": ""})) as handle:
            write(handle)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def render_bytes(session: Session, run_id: int, catalog: Catalog, fmt: str, locale: str, timezone: str) -> bytes:
    """A report in memory, for the console's download links."""
    if fmt == "pdf":
        return pdf(session, run_id, catalog, locale, timezone)
    buffer = io.StringIO()
    render(session, run_id, catalog, fmt, buffer, locale, timezone)
    return buffer.getvalue().encode("utf-8")
