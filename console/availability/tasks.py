"""The availability area's background work, registered with the task queue (console/tasks).

availability.report files a month's report (every format and language, console/availability/report.py): the
scheduler files the month that ended on the 1st, once across the nodes; the Reports page's "File now" starts
it for the month chosen. WeasyPrint takes a few seconds a PDF, so it never runs inside a request.
"""

from __future__ import annotations

from console.db import session_scope
from console.tasks.registry import register


def availability_report(settings, factory, actor, params: dict, progress) -> dict:
    from console.availability import report

    month = report.parse_month(str(params.get("month", "")))
    progress(f"filing the availability report of {month:%Y-%m}", final=True)
    with session_scope(factory) as session:
        written = report.file_month(session, settings, month)
    return {"month": f"{month:%Y-%m}", "files": [path.name for path in written]}


register("availability.report", "compliance.run", "file a month's availability report (HTML, PDF, CSV; vi and en)",
         availability_report)
