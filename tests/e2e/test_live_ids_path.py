"""The live IDS path as `make demo` runs it, walked by a security officer in Debian's chromium.

A one-host lab: lab-host-01 is the IDS sensor (role_ids_sensor), provisioned
over SSH with site.yml's ids_sensor and agent roles; its agent ships EVE to a
console on the lab's bridge. The console's [rules] names the sensor as the
demo's ops.toml does (kind "ansible", deployed by a job), builds the
department's rules (rules/local) into version 1 and deploys it. Then, as in
the demo, `console.lab.live_traffic` puts a round of attacks on the sensor's
wire; the officer sees the alert arrive in the inbox, marks it a false
positive (a suppression by source), deploys the new version from the Rules
page, and the same traffic again raises no new alert for that rule, while
the round's other rules still do (so the sensor was still watching).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from console.access import users
from console.access.actor import Actor
from console.lab import live_traffic
from console.models import Alert
from tests.conftest import PASSWORD
from tests.console.tasks.fixtures import start_consumer
from tests.e2e.test_browser import log_in, page  # noqa: F401  (the page fixture that collects browser errors)
from tests.fixtures.lab import ROOT, Lab, LabConsole

pytestmark = [pytest.mark.lab, pytest.mark.browser]

SNMP_RULE = "OPS SNMP request with community public from outside"
HTTP_SID, SNMP_SID = live_traffic.SIDS["http_admin"], live_traffic.SIDS["snmp_public"]
SSH_SID = live_traffic.SIDS["ssh_syn"]
SECOND_SSH_CLIENT = "198.18.200.13"  # outside (console.lab.traffic.OUTSIDE_NETWORK), new to the SSH rule's threshold
ARRIVAL_SECONDS = 90


@pytest.fixture(scope="module")
def live_lab(tmp_path_factory):
    lab = Lab(1)
    console = consumer = None
    try:
        work = tmp_path_factory.mktemp("live-ids")
        policy = work / "policy"
        shutil.copytree(ROOT / "rules" / "policy", policy)
        shutil.copy(ROOT / "rules" / "threshold.config", work / "threshold.config")
        (work / "sources.yaml").write_text("sources: []\n")
        rules = (f'[rules]\nsources_file = "{work / "sources.yaml"}"\npolicy_dir = "{policy}"\n'
                 f'threshold_file = "{work / "threshold.config"}"\nlocal_dir = "{ROOT / "rules" / "local"}"\n'
                 f'tests_dir = "{ROOT / "rules" / "tests"}"\nvar_dir = "{work / "rules-var"}"\n'
                 'sensors = [{name = "lab-sensor", kind = "ansible", host = "lab-host-01"}]\n')
        console = LabConsole(lab, work / "console", extra_config=rules)
        consumer = start_consumer(console.settings)
        token = console.enrollment_token(uses=1)
        provisioned = lab.run_playbook("site.yml", {"ops_console_url": console.url, "ops_agent_enrollment_token": token,
                                                    "ops_agent_interval_seconds": 5}, tags="ids_sensor,agent")
        assert provisioned.status == "successful", provisioned.stats
        from console.ruleset import operations, service

        with console.session() as db:
            built = service.build_version(db, Actor.cli(), reason="the demo's version 1")
        assert built.ok, built.messages
        with console.session() as db:
            deployed = operations.deploy_active(db, Actor.cli())
        assert [r.ok for r in deployed] == [True], [r.message for r in deployed]
        with console.session() as db:
            users.create_user(db, Actor.cli(), console.settings.security, "lan", "security_officer", password=PASSWORD)
        yield lab, console
    finally:
        if consumer is not None:
            from console.tasks import queue, work as task_work

            consumer.stop(graceful=True)
            queue.close(console.settings)
            task_work.forget(console.settings)
        if console is not None:
            console.stop()
        lab.down()


def alert_count(console: LabConsole, sid: int) -> int:
    with console.session() as db:
        return db.scalar(select(func.count()).select_from(Alert).where(Alert.sid == sid, Alert.sensor == "lab-host-01"))


def eve_alerts(lab, sid: int) -> int:
    """Alerts of one rule in the sensor's own EVE log (lab-host-01's Suricata)."""
    eve = Path(lab.hosts[0].install_root) / "var/log/suricata/eve.json"
    return sum(1 for line in eve.read_text().splitlines() if f'"signature_id":{sid},' in line)


def wait_until(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds} s")
        time.sleep(1)


def test_traffic_alert_false_positive_suppression_deploy_and_silence(live_lab, page):  # noqa: F811
    lab, console = live_lab

    live_traffic.inject(lab.state)
    wait_until(lambda: alert_count(console, SNMP_SID) >= 1, ARRIVAL_SECONDS, "the sensor's SNMP alert in the console")
    assert eve_alerts(lab, SNMP_SID) >= 1  # the sensor's EVE log, read again after the suppression below

    log_in(page, console.url, "lan")
    page.get_by_role("link", name="Alerts", exact=True).click()
    row = page.get_by_test_id("group-row").filter(has_text=SNMP_RULE)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("198.18.200.11")
    row.get_by_role("link", name=SNMP_RULE).click()
    expect(page.get_by_test_id("event").first).to_contain_text("198.18.200.11")

    page.get_by_test_id("fp-propose").click()
    expect(page.get_by_test_id("fp-proposal")).to_contain_text(
        f"suppress gen_id 1, sig_id {SNMP_SID}, track by_src, ip 198.18.200.11")
    page.get_by_label("Reason").fill("the monitoring server's SNMP poller")
    page.get_by_test_id("fp-confirm").click()
    # the confirmation builds (suricata -T) in a task: its page follows it, then links back to the group
    expect(page.get_by_test_id("task-status")).to_have_attribute("data-state", "done", timeout=120_000)
    expect(page.get_by_test_id("task-result")).to_contain_text("ruleset version 2")
    page.get_by_test_id("task-result-link").click()
    expect(page.get_by_test_id("fp-status")).to_contain_text("applied")
    expect(page.get_by_test_id("fp-version")).to_have_text("ruleset version 2")

    page.get_by_role("link", name="Rules", exact=True).click()
    page.get_by_test_id("deploy-ruleset").click()
    # the deploy is a task: site.yml --tags ids_sensor --limit lab-host-01, run by the task worker
    expect(page.get_by_test_id("task-status")).to_have_attribute("data-state", "done", timeout=180_000)
    expect(page.get_by_test_id("task-result")).to_contain_text("lab-sensor: job")
    page.get_by_test_id("task-result-link").click()
    sensors = page.get_by_role("row").filter(has_text="lab-sensor")
    expect(sensors.first).to_contain_text("2")
    version_on_sensor = Path(lab.hosts[0].install_root) / "var/lib/suricata/rules/ops-ruleset-version"
    assert version_on_sensor.read_text().strip() == "2"

    snmp_before, http_before = alert_count(console, SNMP_SID), alert_count(console, HTTP_SID)
    ssh_before, eve_snmp_before = alert_count(console, SSH_SID), eve_alerts(lab, SNMP_SID)
    # The SSH scan comes after the SNMP request on the wire; from a source new to its rule's threshold (one
    # alert per source a minute), it alerts again: once that alert is in, the sensor has seen the SNMP request.
    live_traffic.inject(lab.state, ssh_client=SECOND_SSH_CLIENT)
    wait_until(lambda: alert_count(console, HTTP_SID) > http_before, ARRIVAL_SECONDS,
               "the second round's HTTP alert (the sensor still watching)")
    wait_until(lambda: alert_count(console, SSH_SID) > ssh_before, ARRIVAL_SECONDS,
               "the second round's SSH scan alert, sent after its SNMP request")
    assert alert_count(console, SNMP_SID) == snmp_before
    # Suricata wrote no SNMP alert for it either (the suppression, not a delay in shipping).
    assert eve_alerts(lab, SNMP_SID) == eve_snmp_before

    # The inbox: the second round's HTTP alert is there, the suppressed SNMP group has no new alert.
    page.get_by_role("link", name="Alerts", exact=True).click()
    expect(page.get_by_test_id("group-row").filter(has_text="OPS land database admin path")).to_have_count(1)
    expect(page.get_by_test_id("group-row").filter(has_text=SNMP_RULE)).to_have_count(0)
    page.get_by_test_id("tab-closed").click()
    expect(page.get_by_test_id("group-row").filter(has_text=SNMP_RULE)).to_have_count(1)
