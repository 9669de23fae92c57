"""API routes of the IDS rule manager: /api/v1/rules/..."""

from __future__ import annotations

from dataclasses import asdict

from flask import request

from console.common.time import iso
from console.api import bp
from console.api.envelope import int_arg, json_body, listed, ok, text_field
from console.errors import ValidationFailed
from console.ruleset import operations as ops
from console.ruleset import preview
from console.ruleset import service
from console.web.auth import current_actor, permission_required
from console.web.runtime import db


def _status_dict(state: dict) -> dict:
    return {**state, "active_since": iso(state["active_since"]), "built_at": iso(state["built_at"]),
            "sensors": [{**s, "deployed_at": iso(s["deployed_at"])} for s in state["sensors"]]}


@bp.get("/api/v1/rules/status")
@permission_required("view")
def rules_status():
    """The active ruleset version and what each sensor runs.
    ---
    get:
      summary: Ruleset status
      responses:
        200: {description: "active_version, active_since, built_at, rules_enabled, sensors[]"}
        401: {$ref: "#/components/responses/Unauthorized"}
    """
    return ok(_status_dict(service.ruleset_status(db())))


@bp.get("/api/v1/rules/versions")
@permission_required("view")
def rules_versions():
    """Ruleset versions, newest first, keyset-paginated by number.
    ---
    get:
      summary: List ruleset versions
      parameters:
        - {name: before, in: query, schema: {type: integer, minimum: 0, maximum: 2147483648},
           description: "Last number of the previous page"}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 500}}
      responses:
        200: {description: "Versions with counts; 'next' is the 'before' value for the next page"}
        401: {$ref: "#/components/responses/Unauthorized"}
    """
    limit = int_arg("limit", 50, 1, 500)
    rows = service.list_versions(db(), before=int_arg("before", 0, 0, 2**31), limit=limit + 1)
    return listed(rows, limit, lambda v: v.number, service.version_as_dict)


@bp.get("/api/v1/rules/versions/<int:number>")
@permission_required("view")
def rules_version(number: int):
    """One version with its per-sid changes against the version before.
    ---
    get:
      summary: Get a ruleset version and its diff
      parameters: [{name: number, in: path, required: true, schema: {type: integer}}]
      responses:
        200: {description: "The version, left_out[] (source lines it was built without: file, line, sid, kind
          (encoding or refused), reason) and changes[] (kind: added, removed, modified, enabled, disabled)"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    row = service.get_version(db(), number)
    changes = [{"gid": c.gid, "sid": c.sid, "kind": c.kind, "msg": c.msg, "source": c.source}
               for c in service.changes_of(db(), number)]
    return ok({**service.version_as_dict(row), "messages": row.messages, "changes": changes})


@bp.get("/api/v1/rules/diff")
@permission_required("view")
def rules_diff():
    """Per-sid changes between any two versions.
    ---
    get:
      summary: Diff two ruleset versions
      parameters:
        - {name: from, in: query, required: true, schema: {type: integer, minimum: 1, maximum: 2147483648}}
        - {name: to, in: query, required: true, schema: {type: integer, minimum: 1, maximum: 2147483648}}
      responses:
        200: {description: "changes[]"}
        400: {$ref: "#/components/responses/BadRequest"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    old, new = int_arg("from", 0, 1, 2**31), int_arg("to", 0, 1, 2**31)
    if not old or not new:
        raise ValidationFailed("from", "from and to are required version numbers")
    return ok([asdict(c) for c in service.diff(db(), old, new)])


@bp.post("/api/v1/rules/build")
@permission_required("rules.manage")  # before the body is read: a refusal reveals no schema
def rules_build():
    """Build from sources and policy, validate with suricata -T, and activate on success (rules.manage).
    ---
    post:
      summary: Build a ruleset version
      requestBody:
        content:
          application/json:
            schema: {type: object, properties: {reason: {type: string, description: "Kept to its first 200 characters"},
                                              offline: {type: boolean},
                                              allow_refused: {type: boolean, description: "Build without the rules
                                                the parser refused (they are listed in the version's left_out)"}}}
      description: >
        Answers 202 at once with the task ("rules.build"; suricata -T takes seconds to a minute); poll its
        status_url (GET /api/v1/tasks/{task_id}). Done: result has ok, version_number and messages. A refused
        build (suricata -T, or a rule the parser refused without allow_refused) ends failed: error and
        result.messages name file, line and sid; the active version stays.
      responses:
        202:
          description: "The queued task, with status_url (also in the Location header)"
          headers: {Location: {schema: {type: string}, description: "The task's status URL"}}
        403: {$ref: "#/components/responses/Forbidden"}
        422: {$ref: "#/components/responses/BadRequest"}
    """
    body = json_body(optional=True)
    offline = body.get("offline", False)
    allow_refused = body.get("allow_refused", False)
    for name, value in (("offline", offline), ("allow_refused", allow_refused)):
        if not isinstance(value, bool):
            raise ValidationFailed(name, "must be true or false")
    from console.api.tasks import accepted
    from console.tasks import service as tasks

    return accepted(tasks.submit(db(), current_actor(), "rules.build",
                                 {"reason": text_field(body, "reason", False)[:200], "offline": offline,
                                  "allow_refused": allow_refused}))


@bp.post("/api/v1/rules/versions/<int:number>/rollback")
@permission_required("rules.manage")  # before the body is read: a refusal reveals no schema
def rules_rollback(number: int):
    """Make an older version active again (rules.manage).
    ---
    post:
      summary: Roll back to a version
      parameters: [{name: number, in: path, required: true, schema: {type: integer}}]
      responses:
        200: {description: "The version, now active"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    row = service.rollback(db(), current_actor(), number)
    return ok(service.version_as_dict(row))


@bp.post("/api/v1/rules/deploy")
@permission_required("rules.manage")  # the role first: a refused caller learns nothing about its body
def rules_deploy():
    """Queue a push of the active version to sensors and a Suricata reload there (rules.manage).
    ---
    post:
      summary: Deploy the active version
      description: >
        Answers 202 at once with the task (an "ansible" sensor's push is a playbook job, minutes long);
        poll its status_url (GET /api/v1/tasks/{task_id}): result.sensors has, per sensor, ok,
        rules_loaded, rules_failed and message; state is failed (error names the sensors) if any push failed.
      requestBody:
        content:
          application/json:
            schema: {type: object, properties: {sensors: {type: array, items: {type: string}}}}
      responses:
        202:
          description: "The queued task, with status_url (also in the Location header)"
          headers: {Location: {schema: {type: string}, description: "The task's status URL"}}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
        409: {description: "New drop rules would have blocked inventory hosts on an IPS sensor: a second person's approval is missing"}
        422: {$ref: "#/components/responses/BadRequest"}
    """
    from console.api.tasks import accepted
    from console.errors import NotFound
    from console.tasks import service as tasks
    from rules.errors import RulesetError

    body = json_body(optional=True)
    names = body.get("sensors") if isinstance(body, dict) else None
    if names is not None and (not isinstance(names, list) or not all(isinstance(n, str) for n in names)):
        raise ValidationFailed("sensors", "must be a list of sensor names")
    if service.active_version(db()) is None:
        raise RulesetError("no active ruleset version: run `ops rules update` first")
    unknown = set(names or []) - {s.name for s in service.rules_config(db()).sensors}
    if unknown:
        raise NotFound(f"no sensor named {', '.join(sorted(unknown))} in [rules] sensors")
    number = service.active_version(db()).number
    preview.check_approved(db(), number, [p for p in preview.would_block(db(), number)
                                          if names is None or p.sensor in names])
    return accepted(tasks.submit(db(), current_actor(), "rules.deploy", {"sensors": names}))


@bp.get("/api/v1/rules/deploy/preview")
@permission_required("view")
def rules_deploy_preview():
    """What the active version's new or changed drop rules would have blocked on each IPS sensor.
    ---
    get:
      summary: Would have blocked
      description: >
        One entry per IPS sensor of [rules] sensors: the version it runs, the sids of the blocking rules new or
        changed against it, and the stored alerts of those sids in the last [rules] would_block_days days: in
        total, by source and destination (pairs, most first), by inventory host and by information system.
        needs_approval: the deploy waits for a second person's approval (approval: who asked, who approved).
      responses:
        200: {description: "version, previews[]"}
        401: {$ref: "#/components/responses/Unauthorized"}
    """
    active = service.active_version(db())
    if active is None:
        return ok({"version": None, "previews": []})
    previews = []
    for item in preview.would_block(db(), active.number):
        asked = preview.approval(db(), active.number, item.sensor)
        previews.append({**item.as_dict(), "approval": None if asked is None else {
            "requested_by": asked.requested_by, "approved_by": asked.approved_by or None}})
    return ok({"version": active.number, "previews": previews})


def _approval_as_dict(row) -> dict:
    return {"version": row.version_number, "sensor": row.sensor, "requested_by": row.requested_by,
            "approved_by": row.approved_by or None, "approved_at": iso(row.approved_at) if row.approved_at else None,
            "alerts": row.alerts, "hosts": row.hosts}


@bp.post("/api/v1/rules/deploy/request")
@permission_required("rules.manage")  # the role first: a refused caller learns nothing about its body
def rules_deploy_request():
    """Ask a second person to approve the deploy of the active version where it would block inventory hosts.
    ---
    post:
      summary: Ask for the deploy's approval
      description: >
        Each IPS sensor on which the active version's new or changed drop rules would have blocked traffic of
        inventory hosts gets an approval request (once per version and sensor, audited); another user with
        remediation.approve approves it (POST /api/v1/rules/deploy/approve), then the deploy may go. Answers the
        previews as GET /api/v1/rules/deploy/preview does.
      responses:
        200: {description: "version, previews[] with their approval (who asked, who approved)"}
        403: {$ref: "#/components/responses/Forbidden"}
        422: {description: "No active ruleset version"}
    """
    from rules.errors import RulesetError

    active = service.active_version(db())
    if active is None:
        raise RulesetError("no active ruleset version: run `ops rules update` first")
    preview.request_deploy(db(), current_actor(), active.number)
    return rules_deploy_preview()


@bp.post("/api/v1/rules/deploy/approve")
@permission_required("remediation.approve")
def rules_deploy_approve():
    """The second person's approval of the active version's deploy to one IPS sensor (remediation.approve).
    ---
    post:
      summary: Approve the deploy to a sensor
      description: >
        Approves the request made for the active version and this sensor. The user who asked cannot approve it
        (403), and an approval is given once (409).
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [sensor]
              properties: {sensor: {type: string, minLength: 1, maxLength: 64}}
      responses:
        200: {description: "The approval: version, sensor, requested_by, approved_by, approved_at, alerts, hosts"}
        400: {$ref: "#/components/responses/BadRequest"}
        403: {description: "Not allowed to approve, or the same user asked for the deploy"}
        404: {description: "No deploy of the active version to this sensor waits for approval"}
        409: {description: "Already approved"}
    """
    sensor = text_field(json_body(), "sensor")[:64]
    active = service.active_version(db())
    return ok(_approval_as_dict(preview.approve_deploy(db(), current_actor(), active.number if active else 0,
                                                       sensor)))


@bp.get("/api/v1/rules/search")
@permission_required("view")
def rules_search():
    """Rules of the active version by sid, msg text, classtype, enabled and source.
    ---
    get:
      summary: Search rules
      parameters:
        - {name: sid, in: query, schema: {type: integer, minimum: 1, maximum: 4294967295}}
        - {name: q, in: query, schema: {type: string}, description: "Part of the msg"}
        - {name: classtype, in: query, schema: {type: string}}
        - {name: source, in: query, schema: {type: string}}
        - {name: enabled, in: query, schema: {type: string, enum: ["yes", "no"]}}
        - {name: offset, in: query, schema: {type: integer, minimum: 0, maximum: 10000000}}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 500}}
      responses:
        200: {description: "Matching rules and 'total'"}
        400: {$ref: "#/components/responses/BadRequest"}
    """
    if request.args.get("enabled") not in (None, "", "yes", "no"):
        raise ValidationFailed("enabled", "must be yes or no")
    sid = int_arg("sid", 0, 1, 2**32 - 1)
    rows, total = ops.search_rules(db(), sid=sid or None, text=request.args.get("q", "")[:200],
                                   classtype=request.args.get("classtype", "")[:64],
                                   source=request.args.get("source", "")[:64],
                                   enabled={"yes": True, "no": False}.get(request.args.get("enabled", "")),
                                   offset=int_arg("offset", 0, 0, 10**7), limit=int_arg("limit", 50, 1, 500))
    return ok(rows, total=total)


@bp.post("/api/v1/rules/bulk")
@permission_required("rules.manage")  # before the body is read: a refusal reveals no schema
def rules_bulk():
    """Disable, enable or drop many rules with a reason: one policy edit, one build (rules.manage).
    ---
    post:
      summary: Change many rules in one build
      description: >
        Choose the rules by `sids` or by `filter` (the fields of GET /api/v1/rules/search), not both; at most
        50000 rules at once (a filter matching more is refused: narrow it). Every chosen sid goes into
        disable.conf, enable.conf or drop.conf under one comment naming you and the reason, then one build
        validated with suricata -T makes one new version carrying them all. Rules already in that state are
        skipped. With `expected` (the count the search showed), a filter that now matches another number of
        rules is refused (409). The choice is checked at once (400, 404, 409); the build then runs in a task
        ("rules.bulk"), as POST /api/v1/rules/build does: the answer is 202 with its status_url. Done, the
        task's result has action, changed, skipped, version_number and messages; a refused build ends failed
        with the messages naming file, line and sid, and the policy files and the active version stay.
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [action, reason]
              properties:
                action: {type: string, enum: [disable, enable, drop]}
                reason: {type: string, minLength: 1, pattern: '\\S', description: "Kept to its first 200 characters"}
                sids:
                  type: array
                  minItems: 1
                  maxItems: 50000
                  items: {type: integer, minimum: 1, maximum: 4294967295}
                filter:
                  type: object
                  properties:
                    sid: {type: integer, minimum: 1, maximum: 4294967295}
                    q: {type: string, description: "Part of the msg"}
                    classtype: {type: string}
                    source: {type: string}
                    enabled: {type: string, enum: ["yes", "no"]}
                expected: {type: integer, minimum: 0, maximum: 2147483647}
              oneOf:
                - {required: [sids]}
                - {required: [filter]}
      responses:
        202:
          description: "The queued task, with status_url (also in the Location header)"
          headers: {Location: {schema: {type: string}, description: "The task's status URL"}}
        400: {$ref: "#/components/responses/BadRequest"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
        409: {description: "No active version, every chosen rule already in that state, or the count changed"}
    """
    from console.api.tasks import accepted
    from console.ruleset import bulk
    from console.tasks import service as tasks

    body = json_body()
    has_sids, has_filter = "sids" in body, "filter" in body
    if has_sids == has_filter:
        raise ValidationFailed("sids", "give either sids or filter")
    if has_sids and not isinstance(body["sids"], list):
        raise ValidationFailed("sids", "must be a list of sids")
    rule_filter = bulk.filter_from_json(body["filter"]) if has_filter else None
    expected = body.get("expected")
    if expected is not None and (isinstance(expected, bool) or not isinstance(expected, int)
                                 or not 0 <= expected <= 2**31 - 1):
        raise ValidationFailed("expected", "must be a whole number from 0 to 2147483647")
    action, reason = text_field(body, "action"), text_field(body, "reason")
    bulk.plan(db(), current_actor(), action=action, reason=reason,
                        sids=body["sids"] if has_sids else None, rule_filter=rule_filter, expected=expected)
    choice = {"sids": sorted({int(sid) for sid in body["sids"]})} if has_sids else {
        "filter": rule_filter.as_dict(), "expected": expected}
    return accepted(tasks.submit(db(), current_actor(), "rules.bulk", {"action": action, "reason": reason} | choice))


@bp.get("/api/v1/rules/sources")
@permission_required("view")
def rules_sources():
    """Rule sources from sources.yaml.
    ---
    get:
      summary: List rule sources
      responses:
        200: {description: "Sources"}
    """
    return ok([asdict(s) for s in ops.list_sources(db())])


@bp.post("/api/v1/rules/sources")
@permission_required("rules.manage")  # before the body is read: a refusal reveals no schema
def rules_sources_change():
    """Add, enable, disable or remove a source (rules.manage).
    ---
    post:
      summary: Change a rule source
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [action, name]
              properties:
                action: {type: string, enum: [add, enable, disable, remove]}
                name: {type: string, pattern: "^[a-z0-9_.-]{1,64}$", not: {enum: [local]}}
                kind: {type: string, enum: [url, file, directory]}
                location: {type: string}
      responses:
        200: {description: "The source"}
        403: {$ref: "#/components/responses/Forbidden"}
        422: {$ref: "#/components/responses/BadRequest"}
    """
    body = json_body()
    found = ops.change_source(db(), current_actor(), text_field(body, "action"), text_field(body, "name"),
                              kind=text_field(body, "kind", required=False),
                              location=text_field(body, "location", required=False))
    return ok(asdict(found))


@bp.get("/api/v1/rules/policy/<name>")
@permission_required("view")
def rules_policy(name: str):
    """A policy file's text (enable.conf, disable.conf, drop.conf, modify.conf, threshold.config).
    ---
    get:
      summary: Read a policy file
      parameters: [{name: name, in: path, required: true, schema: {type: string}}]
      responses:
        200: {description: "name and text"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    return ok({"name": name, "text": ops.read_policy(db(), name)})


@bp.put("/api/v1/rules/policy/<name>")
@permission_required("rules.manage")  # before the body is read: a refusal reveals no schema
def rules_policy_write(name: str):
    """Replace a policy file; every line is checked first (rules.manage).
    ---
    put:
      summary: Write a policy file
      parameters: [{name: name, in: path, required: true, schema: {type: string}}]
      requestBody:
        required: true
        content: {application/json: {schema: {type: object, required: [text], properties: {text: {type: string}}}}}
      responses:
        200: {description: "Saved; takes effect with the next build"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
        422: {$ref: "#/components/responses/BadRequest"}
    """
    ops.write_policy(db(), current_actor(), name, text_field(json_body(), "text"))
    return ok({"name": name})


@bp.post("/api/v1/rules/tests")
@permission_required("rules.manage")  # before the body is read: a refusal reveals no schema
def rules_tests_run():
    """Run the rule tests against the active version with real Suricata (rules.manage).
    ---
    post:
      summary: Run rule tests
      responses:
        200: {description: "passed, failed and results per sid and case"}
        403: {$ref: "#/components/responses/Forbidden"}
        422: {$ref: "#/components/responses/BadRequest"}
    """
    run = ops.run_tests(db(), current_actor())
    return ok({"version": run.version_number, "passed": run.passed, "failed": run.failed, "results": run.results})


@bp.get("/api/v1/rules/tests/latest")
@permission_required("view")
def rules_tests_latest():
    """The latest rule test run.
    ---
    get:
      summary: Latest rule test results
      responses:
        200: {description: "The run, or null when none has run"}
    """
    run = ops.latest_test_run(db())
    return ok(None if run is None else {"version": run.version_number, "ran_at": run.ran_at.isoformat(),
                                        "passed": run.passed, "failed": run.failed, "results": run.results})
