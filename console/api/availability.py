"""API: the department's services and their checks (console/availability). Each docstring's YAML after '---' is
its OpenAPI operation."""

from __future__ import annotations

from console.api import bp
from console.api.envelope import json_body, ok, plain, text_field
from console.availability import report, status
from console.errors import NotFound
from console.web.auth import current_actor, permission_required
from console.web.runtime import db, settings


@bp.get("/api/v1/availability")
@permission_required("view")
def availability_list():
    """Every service of ops.toml [[availability.services]] with its state now and its checks' latest results.
    ---
    get:
      summary: List the services and their availability now
      description: >
        state is up, degraded (a check failing fewer times than its limit, slow, or a certificate near
        expiry), down (a check failed failures_before_down times in a row), unreachable (a service or uplink
        it depends on is down: cause "service:<name>" or "uplink:<name>", parent its name), maintenance (in a
        maintenance window) or unknown (no result yet). response_ms is the slowest HTTP check's last answer;
        certificate_days_left the nearest leaf certificate expiry of its TLS checks (negative once expired).
        Times are ISO 8601 in UTC.
      responses:
        200:
          description: "The services"
          content:
            application/json:
              schema:
                type: object
                properties:
                  success: {type: boolean}
                  data: {type: array, items: {$ref: "#/components/schemas/AvailabilityService"}}
        401: {$ref: "#/components/responses/Unauthorized"}
    """
    return ok(plain(status.services_status(db(), settings())))


@bp.get("/api/v1/availability/<name>")
@permission_required("view")
def availability_detail(name: str):
    """One service with its state now and its checks' latest results.
    ---
    get:
      summary: Get one service's availability
      parameters: [{name: name, in: path, required: true, schema: {type: string}}]
      responses:
        200:
          description: "The service"
          content:
            application/json:
              schema:
                type: object
                properties:
                  success: {type: boolean}
                  data: {$ref: "#/components/schemas/AvailabilityService"}
        401: {$ref: "#/components/responses/Unauthorized"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    found = [item for item in status.services_status(db(), settings()) if item["name"] == name]
    if not found:
        raise NotFound(f"no service named {name!r} in [[availability.services]]")
    return ok(plain(found[0]))


@bp.get("/api/v1/availability-reports")
@permission_required("view")
def availability_reports():
    """The filed monthly availability reports, newest month first.
    ---
    get:
      summary: List the filed monthly availability reports
      description: >
        Each month filed (by the scheduler on the 1st, `ops availability report --file` or POST) with its files:
        HTML and PDF in Vietnamese and English, and CSV. url downloads one (the Reports page's link).
      responses:
        200:
          description: "The filed months"
          content:
            application/json:
              schema:
                type: object
                properties:
                  success: {type: boolean}
                  data:
                    type: array
                    items:
                      type: object
                      properties:
                        month: {type: string, example: "2026-11"}
                        files:
                          type: array
                          items:
                            type: object
                            properties:
                              name: {type: string}
                              format: {type: string, enum: [html, pdf, csv]}
                              language: {type: string, enum: ["vi", "en", ""]}
                              bytes: {type: integer}
                              url: {type: string}
        401: {$ref: "#/components/responses/Unauthorized"}
    """
    filed = report.filed(settings())
    for entry in filed:
        for item in entry["files"]:
            item["url"] = f"/availability/reports/{item['name']}"
    return ok(filed)


@bp.post("/api/v1/availability-reports")
@permission_required("compliance.run")  # before the body is read: a refusal reveals no schema
def availability_report_file():
    """File a month's availability report as a task.
    ---
    post:
      summary: File a month's availability report
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [month]
              properties:
                month: {type: string, pattern: "^2[0-9]{3}-(0[1-9]|1[0-2])$", example: "2026-11",
                        description: "YYYY-MM in the console's zone, years 2000 to 2999"}
      description: >
        Answers 202 at once with the task ("availability.report"; WeasyPrint takes seconds a PDF); poll its
        status_url (GET /api/v1/tasks/{task_id}). Done: result has month and files.
      responses:
        202:
          description: "The queued task, with status_url (also in the Location header)"
          headers: {Location: {schema: {type: string}, description: "The task's status URL"}}
        401: {$ref: "#/components/responses/Unauthorized"}
        400: {$ref: "#/components/responses/BadRequest"}
        403: {$ref: "#/components/responses/Forbidden"}
    """
    month = report.parse_month(text_field(json_body(), "month")[:16])
    from console.api.tasks import accepted
    from console.tasks import service as tasks

    return accepted(tasks.submit(db(), current_actor(), "availability.report", {"month": f"{month:%Y-%m}"}))
