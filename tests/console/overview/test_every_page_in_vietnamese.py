"""Every page of the console, in Vietnamese, holds no English sentence of the translation catalogue.

The console is filled with demo-like data through the parts' own services
(host reports, two compliance runs, alerts, devices, jobs, rulesets,
incidents), an admin whose language is Vietnamese signs in, and the test
walks `app.url_map`: every GET page without arguments, then every link the
pages hold, until each HTML endpoint has been seen (at most two URLs each).
On each page, every catalogue message (an English msgid of two words or
more) that appears in the visible text or in a label, placeholder or title
is an untranslated string: the test fails naming the page and the text.
"""

from __future__ import annotations

import html
import re
from collections import deque
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import update

from console.db import session_scope
from console.models import User
from tests.conftest import login
from tests.console.overview import helpers

REPO = Path(__file__).resolve().parents[3]
CATALOG = REPO / "console/translations/vi/LC_MESSAGES/messages.po"
# Endpoints that answer with something other than an HTML page (files, JSON, fragments, a redirect).
NOT_PAGES = {"alerts.chart", "alerts.export_csv", "alerts.export_json", "compliance.trend_data", "compliance.report",
             "systems.dossier_download", "systems.annual_download", "systems.evidence_document", "availability.filed_report",
             "api.healthz",
             "api.metrics", "jobs.events", "notifications.status", "tasks.status", "overview.tiles_fragment",
             "auth.login", "static"}
MAX_PER_ENDPOINT = 2
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")
ATTRIBUTES = re.compile(r'(?:placeholder|title|aria-label|alt)="([^"]*)"')

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def catalogue_patterns() -> list[tuple[str, re.Pattern]]:
    """(msgid, a pattern for it with its placeholders as wildcards) for every English sentence of two words or more."""
    with CATALOG.open("rb") as handle:
        messages = [m for m in read_po(handle) if m.id and isinstance(m.id, str)]
    patterns = []
    for message in messages:
        static = PLACEHOLDER.sub(" ", message.id)
        if len(static.split()) < 2 or len(static.strip()) < 10 or message.string == message.id:
            continue
        parts = PLACEHOLDER.split(message.id)[::2] if "%" in message.id else [message.id]
        pattern = r".{1,80}?".join(re.escape(" ".join(part.split())) for part in parts)
        patterns.append((message.id, re.compile(r"(?<![\w])" + pattern + r"(?![\w])")))
    return patterns


def visible_text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    attributes = " | ".join(ATTRIBUTES.findall(page))
    text = re.sub(r"<[^>]+>", " ", page)
    return " ".join(html.unescape(text + " | " + attributes).split())


def links(page: str, base: str) -> list[str]:
    found = []
    for href in re.findall(r'href="([^"#]+)"', page):
        url = urljoin(base, html.unescape(href))
        parts = urlsplit(url)
        if parts.netloc in ("", "localhost") and parts.path.startswith("/") and not parts.path.startswith("/static"):
            found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


@pytest.fixture
def demo_like(session_factory, settings, tmp_path):
    helpers.host_reports(session_factory)
    helpers.two_runs(session_factory)
    helpers.alerts(session_factory, tmp_path)
    helpers.devices(session_factory, settings)
    helpers.jobs(session_factory)
    helpers.rulesets(session_factory)
    helpers.open_incidents(session_factory)
    from datetime import datetime, timezone

    from console.models import Endpoint, NotifyDelivery, Task, TaskState

    now = datetime.now(timezone.utc)
    with session_scope(session_factory) as db:
        db.add(Task(id=1, kind="devices.poll", params={"name": "ups-a"}, state=TaskState.done, started_by="huong",
                    result={"name": "ups-a", "status": "ok", "reason": ""}, started_at=now, finished_at=now))
        db.add(Endpoint(ksc_id="3f2a9c1e-demo", name="PC-DIACHINH-07", address="198.18.20.57",
                        ksc_group="Land Registration Office", unit="unit_land_registration", os_name="Windows 11",
                        av_version="12.4.0.467", rtp_state=0, bases_at=now, last_visible_at=now, state="protection_off",
                        status_id=2, status_mask=0))
        db.add(NotifyDelivery(kind="ups.on_battery", channel="duty-mail", severity="high", subject="UPS ups-a",
                              body="UPS ups-a", state="sent", sent_at=now))
        # Remediations: one verified with a host still unreachable, one critical waiting for a second person.
        from console.models import Remediation, RemediationState

        db.add(Remediation(control_id="FW-02", severity="high", run_id=2, hosts=["srv-web-01", "srv-db-01"],
                           playbook="site.yml", tags="firewall", extravars={}, state=RemediationState.still_failing,
                           requested_by="huong", check_job_id=6, applied_by="huong", apply_job_id=6,
                           apply_ended_at=now, verify_deadline=now, verified_at=now, message="",
                           verification=[{"host": "srv-web-01", "result": "pass", "why": "x", "evidence_at": None,
                                          "reason": {"k": "cmp", "f": "firewall.input_policy", "op": "in",
                                                     "v": "drop", "o": ["drop", "reject"], "ok": True}},
                                         {"host": "srv-db-01", "result": "unreachable", "why": "x", "evidence_at": None,
                                          "reason": {"k": "remediation_unreachable", "host": "srv-db-01"}}]))
        db.add(Remediation(control_id="EP-AV-01", severity="critical", run_id=2, hosts=["srv-web-01"],
                           playbook="site.yml", tags="antivirus", extravars={}, state=RemediationState.checked,
                           needs_approval=True, requested_by="lan", check_job_id=6, verification=[], message=""))
    _vulnerabilities(session_factory, now)


def _vulnerabilities(session_factory, now) -> None:
    """A host's real package list (this machine's dpkg status) and the excerpt of real tracker data: CVE pages."""
    from console.access.actor import Actor
    from console.inventory.hosts import active_hosts
    from console.models.vulns import HostPackages
    from console.vulns import tracker
    from probes.collectors.packages import read_status

    with session_scope(session_factory) as db:
        host = active_hosts(db)[0]
        db.add(HostPackages(host_id=host.id, report_id="r", release="bookworm", digest="0" * 64, package_count=1,
                            packages=read_status(Path("/var/lib/dpkg/status")), listed_at=now, reported_at=now,
                            reported_digest="0" * 64))
        db.flush()
        excerpt = Path(__file__).resolve().parents[2] / "data" / "debian-security-tracker-excerpt.json"
        tracker.import_data(db, Actor.cli(), str(excerpt), ("bookworm",))


def test_every_page_in_vietnamese_has_no_untranslated_catalogue_sentence(app, client, make_user, session_factory,
                                                                           synced, demo_like):
    make_user("huong", "admin")
    with session_scope(session_factory) as db:
        db.execute(update(User).where(User.username == "huong").values(locale="vi"))
    assert login(client, "huong").status_code == 302
    assert "Quản trị viên" in client.get("/").get_data(as_text=True)  # the role by its name (one word: not walked)
    adapter = app.url_map.bind("localhost")
    pages = [rule for rule in app.url_map.iter_rules() if "GET" in rule.methods and rule.endpoint not in NOT_PAGES
             and not rule.rule.startswith("/api/")]
    # Pages without arguments, and those no page links to (a task's page is where a form redirects).
    queue = deque([rule.rule for rule in pages if not rule.arguments] + ["/tasks/1"])
    seen_urls: set[str] = set()
    seen_endpoints: dict[str, int] = {}
    patterns = catalogue_patterns()
    untranslated: dict[str, set[str]] = {}
    while queue:
        url = queue.popleft()
        if url in seen_urls:
            continue
        try:
            endpoint, _ = adapter.match(urlsplit(url).path, method="GET")
        except Exception:  # noqa: BLE001  (a link to something that is not a page of this app)
            continue
        if endpoint in NOT_PAGES or seen_endpoints.get(endpoint, 0) >= MAX_PER_ENDPOINT:
            continue
        seen_urls.add(url)
        answer = client.get(url)
        assert answer.status_code < 500, f"{url}: {answer.status_code}"
        if not answer.content_type.startswith("text/html"):
            continue  # a 4xx page (e.g. rule search with no ruleset on disk) is a page too, and checked
        seen_endpoints[endpoint] = seen_endpoints.get(endpoint, 0) + 1
        body = answer.get_data(as_text=True)
        assert '<html lang="vi"' in body, f"{url} is not in Vietnamese"
        text = visible_text(body)
        for msgid, pattern in patterns:
            if pattern.search(text):
                untranslated.setdefault(msgid, set()).add(url)
        queue.extend(links(body, url))

    assert untranslated == {}, "English left on Vietnamese pages:\n" + "\n".join(
        f"  {msgid!r} on {', '.join(sorted(urls)[:3])}" for msgid, urls in sorted(untranslated.items()))
    missing = sorted(rule.endpoint for rule in pages if rule.endpoint not in seen_endpoints)
    assert missing == [], f"pages the walk did not reach (give them data or a link): {missing}"

