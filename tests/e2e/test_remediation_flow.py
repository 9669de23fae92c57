"""Fix with Ansible, walked in Debian's chromium: a failing control on a lab host to a verified pass.

A one-host lab whose agent (agent.yml over SSH) reports every 5 s to a
console on the lab's bridge, and `ops scheduler run` beside it, as in
production: the scheduler moves remediations on. The host has no firewall
loaded, so FW-02 (inbound denied by default) fails in a compliance run. An
IT staff member opens FW-02, presses "Fix with Ansible": the check job shows
the nftables ruleset that would be written and changes nothing on the host;
"Apply" runs the firewall role; once the agent has reported after the job,
the control is evaluated again and the page shows the verified pass, with
the chain failed (run) -> check job -> apply job -> verification.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from playwright.sync_api import expect

from console.access import users
from console.access.actor import Actor
from console.compliance import runs as compliance_runs
from console.compliance.catalog import configured_catalog
from console.compliance.history import iter_results
from tests.conftest import PASSWORD
from tests.e2e.test_browser import log_in, page  # noqa: F401  (the page fixture that collects browser errors)
from tests.fixtures.lab import ROOT, Lab, LabConsole

pytestmark = [pytest.mark.lab, pytest.mark.browser]

REPORT_SECONDS = 90


def nft_input_policy(lab: Lab) -> str:
    listed = subprocess.run(["ip", "netns", "exec", lab.host("lab-host-01").namespace, "nft", "list", "ruleset"],
                            capture_output=True, text=True, timeout=30)
    return "policy drop" if "policy drop" in listed.stdout else "none"


def wait_until(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds} s")
        time.sleep(1)


@pytest.fixture(scope="module")
def fix_lab(tmp_path_factory):
    lab = Lab(1)
    console = scheduler = None
    try:
        work = tmp_path_factory.mktemp("remediation")
        console = LabConsole(lab, work / "console", extra_config="[compliance]\nremediation_verify_minutes = 5\n")
        token = console.enrollment_token(uses=1)
        provisioned = lab.run_playbook("agent.yml", {"ops_console_url": console.url, "ops_agent_enrollment_token": token,
                                                     "ops_agent_interval_seconds": 5})
        assert provisioned.status == "successful", provisioned.stats
        with console.session() as db:
            users.create_user(db, Actor.cli(), console.settings.security, "tuan", "it_staff", password=PASSWORD)
        environment = {k: v for k, v in os.environ.items() if k not in ("OPS_CONFIG", "OPS_DATABASE_URL")}
        with open(work / "scheduler.log", "wb") as log:
            scheduler = subprocess.Popen([sys.executable, "-m", "console.cli", "--config", str(console.settings.source),
                                          "scheduler", "run"], cwd=ROOT, env=environment, stdout=log,
                                         stderr=subprocess.STDOUT)
        yield lab, console
    finally:
        if scheduler is not None:
            scheduler.terminate()
            scheduler.wait(timeout=30)
        if console is not None:
            console.stop()
        lab.down()


def failing_run(console: LabConsole) -> int:
    """A compliance run once the agent has reported, in which FW-02 fails on lab-host-01."""
    catalog = configured_catalog(console.settings)
    deadline = time.monotonic() + REPORT_SECONDS
    while True:
        outcome = compliance_runs.execute(console.session_factory, Actor.cli(), catalog)
        with console.session() as db:
            found = {row.control_id: row.result for row in iter_results(db, outcome.run_id, target="lab-host-01")}
        if found.get("FW-02") == "fail":
            return outcome.run_id
        assert time.monotonic() < deadline, f"FW-02 on lab-host-01 is {found.get('FW-02')}, not fail"
        time.sleep(3)


def test_it_staff_fixes_a_failing_firewall_control_and_sees_it_verified(fix_lab, page):  # noqa: F811
    lab, console = fix_lab
    run_id = failing_run(console)
    assert nft_input_policy(lab) == "none"

    log_in(page, console.url, "tuan")
    page.goto(f"{console.url}/compliance/controls/FW-02")
    expect(page.get_by_test_id("remediation")).to_contain_text("remediate/firewall.yml")
    expect(page.get_by_test_id("fix-form")).to_contain_text(f"Failing hosts in run {run_id}")
    expect(page.get_by_test_id("fix-form").get_by_label("lab-host-01")).to_be_checked()
    page.get_by_test_id("fix-with-ansible").click()

    chain = page.get_by_test_id("remediation-chain")
    expect(chain).to_have_attribute("data-state", "checked", timeout=120_000)
    expect(page.get_by_test_id("step-failed")).to_contain_text(f"run {run_id}")
    # The check job shows the ruleset it would write, and writes nothing.
    changes = page.get_by_test_id("changes-lab-host-01")
    changes.locator("summary").click()
    expect(changes).to_contain_text("policy drop")
    assert nft_input_policy(lab) == "none"

    page.get_by_test_id("apply").click()
    expect(chain).to_have_attribute("data-state", "verified", timeout=180_000)
    expect(page.get_by_test_id("remediation-state")).to_have_text("Verified: passes again")
    verification = page.get_by_test_id("verification")
    expect(verification).to_contain_text("lab-host-01")
    expect(verification.locator("[data-result]")).to_have_attribute("data-result", "pass")
    assert nft_input_policy(lab) == "policy drop"
    expect(page.get_by_test_id("step-check").get_by_role("link")).to_have_count(1)
    expect(page.get_by_test_id("step-apply").get_by_role("link")).to_have_count(1)

    page.goto(f"{console.url}/compliance/controls/FW-02")
    expect(page.get_by_role("link", name="1", exact=True)).to_be_visible()
