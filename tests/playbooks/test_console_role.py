"""The console installed by playbooks/console.yml on a lab host, used over HTTPS by a browser and two agents.

One 3-host lab serves the module. The first install is made once, by
whichever test needs the console first, and its run kept for the test about
it: the tests pass in any order. console.yml
installs the console on lab-host-01 (the lab inventory's ops_console group)
from this source's wheel and wheelhouse, with nginx terminating TLS with the
CA and certificate the role generates; the agent role then enrols
lab-host-02 and -03 with https://<lab-host-01>, trusting that CA; Debian's
chromium, run in lab-host-02's network namespace with the CA in its NSS database (a real trust anchor, not an
ignored error), signs in and sees both hosts reporting.

What is real here and what is not: the wheel, the venv, ops.toml, `ops db
upgrade`, `ops inventory sync`, gunicorn (`ops console serve`), the task
worker, the scheduler, nginx and the TLS files are the role's own, running in
lab-host-01's network namespace. Lab hosts have no systemd: the services run
as processes under start-stop-daemon (the role's process mode), so the systemd
units are only written (test_playbooks_static.py checks them with
systemd-analyze where it can), and the database is the test session's
throwaway PostgreSQL cluster given as ops_console_database_url: the role's
local-PostgreSQL tasks (apt, createuser, createdb) run only on a real server.
"""

from __future__ import annotations

import functools
import http.client
import os
import re
import shutil
import ssl
import subprocess
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import create_engine, select

from console.lab import wheel
from console.models import Host, HostReport
from tests.fixtures.lab import ROOT, Lab

pytestmark = [pytest.mark.lab, pytest.mark.browser]
CHROMIUM = os.environ.get("OPS_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SECRET_KEY = "lab-console-secret-key-0123456789abcdef"
PASSWORD = "correct horse battery staple"
REPORT_WAIT_SECONDS = 120


class ConsoleLab:
    def __init__(self, lab: Lab, database_url: str, var_dir: Path):
        self.lab, self.database_url = lab, database_url
        self.console_host, self.agent_hosts = lab.hosts[0], lab.hosts[1:3]
        self.address = self.console_host.address
        self.root = Path(self.console_host.install_root)
        house = wheel.console_wheelhouse(var_dir)
        self.extravars = {
            "ops_console_wheel": str(next(house.parent.glob("ops_console-*.whl"))),
            "ops_console_wheelhouse": str(house),
            "ops_console_secret_key": SECRET_KEY,
            "ops_console_database_url": database_url,
            "ops_console_listen_addresses": [self.address],
            "ops_console_default_locale": "en",
            # The console's inventory: the lab's own (its hosts, groups and information system).
            "ops_console_inventory_src": f"{lab.inventory}/",
        }

    @property
    def ca_file(self) -> Path:
        return self.root / "etc/ops-console/tls/ca.pem"

    def run_console_playbook(self, check: bool = False):
        return self.lab.run_playbook("console.yml", self.extravars, limit=self.console_host.name, check=check)

    @functools.cached_property
    def first_install(self):
        """The role's first run on lab-host-01, made on first use."""
        return self.run_console_playbook()

    def installed(self) -> None:
        result = self.first_install
        assert result.status == "successful", ("the console did not install", result.stats, result.failures())

    def log_tail(self, lines: int = 80) -> str:
        """The end of the installed console's logs (gunicorn, the task worker, the scheduler), for a failure."""
        return "\n".join(f"--- {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
                         for log in sorted((self.root / "var/log/ops-console").glob("*.log")))

    def ops(self, *args: str, stdin: str = "") -> str:
        """The installed `ops` command (the role's wrapper), run in lab-host-01's namespace."""
        result = subprocess.run(["ip", "netns", "exec", self.console_host.namespace,
                                 str(self.root / "usr/local/sbin/ops"), *args],
                                input=stdin, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout


@pytest.fixture(scope="module")
def console_lab(postgres, tmp_path_factory):
    lab = Lab(3)
    try:
        yield ConsoleLab(lab, postgres.new_database(), ROOT / "var")
    finally:
        lab.down()


def last_reports(database_url: str, names: set[str]) -> set[str]:
    """Names among `names` that have a report in the console's database, once all have or the wait is over."""
    engine = create_engine(database_url)
    deadline = time.monotonic() + REPORT_WAIT_SECONDS
    try:
        while True:
            with engine.connect() as conn:
                found = set(conn.execute(select(Host.name).join(HostReport, HostReport.host_id == Host.id)
                                         .where(Host.name.in_(names))).scalars())
            if found == names or time.monotonic() > deadline:
                return found
            time.sleep(1)
    finally:
        engine.dispose()


def test_console_role_installs_a_console_that_answers_over_https_with_its_own_ca(console_lab):
    result = console_lab.first_install

    assert result.status == "successful", (result.stats, result.failures())
    # HTTPS with the certificate the role made, checked against the role's CA and the host's address.
    context = ssl.create_default_context(cafile=str(console_lab.ca_file))
    conn = http.client.HTTPSConnection(console_lab.address, 443, context=context, timeout=10)
    conn.request("GET", "/login")
    response = conn.getresponse()
    assert response.status == 200
    assert "Secure" in response.getheader("Set-Cookie", ""), response.getheaders()
    assert response.getheader("Strict-Transport-Security")
    conn.close()
    # Plain HTTP only redirects to HTTPS.
    conn = http.client.HTTPConnection(console_lab.address, 80, timeout=10)
    conn.request("GET", "/login?next=%2Fhosts")
    response = conn.getresponse()
    assert response.status == 301
    assert response.getheader("Location") == f"https://{console_lab.address}/login?next=%2Fhosts"
    conn.close()
    # The secrets are in ops.toml, readable by root and the console's group only.
    config = console_lab.root / "etc/ops-console/ops.toml"
    assert oct(config.stat().st_mode & 0o777) == "0o640"
    assert oct((console_lab.root / "etc/ops-console/tls/ca.key").stat().st_mode & 0o777) == "0o600"


def test_agents_on_two_other_lab_hosts_enrol_over_https_and_a_browser_trusting_the_ca_sees_them(
        console_lab, tmp_path):
    console_lab.installed()
    token = re.search(r"token \(shown once\): (\S+)", console_lab.ops("fleet", "enroll-token", "--uses", "2")).group(1)
    # The CA goes to each agent host, as an admin would copy it there.
    for host in console_lab.agent_hosts:
        target = Path(host.install_root) / "etc/ssl/ops-console-ca.pem"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(console_lab.ca_file, target)
    names = {host.name for host in console_lab.agent_hosts}

    result = console_lab.lab.run_playbook(
        "agent.yml", {"ops_console_url": f"https://{console_lab.address}", "ops_agent_enrollment_token": token,
                      "ops_agent_ca_file": "{{ ops_install_root }}/etc/ssl/ops-console-ca.pem"},
        limit=",".join(sorted(names)))

    if result.status != "successful":
        print(console_lab.log_tail())  # shown with the failure
    assert result.status == "successful", (result.stats, result.failures())
    assert last_reports(console_lab.database_url, names) == names
    console_lab.ops("user", "add", "thu", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")

    home = tmp_path / "home"
    nssdb = home / ".pki/nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run(["certutil", "-d", f"sql:{nssdb}", "-N", "--empty-password"], check=True, timeout=30)
    subprocess.run(["certutil", "-d", f"sql:{nssdb}", "-A", "-t", "C,,", "-n", "ops-console-lab-ca",
                    "-i", str(console_lab.ca_file)], check=True, timeout=30)
    url = f"https://{console_lab.address}"
    # The officer's browser runs on a lab host, as on a workstation of the LAN: in its own network namespace
    # Chromium sees no other test's links come and go (in the root namespace an address added by a lab being
    # made beside this test aborts a page load with ERR_NETWORK_CHANGED).
    workstation = tmp_path / "chromium-on-workstation"
    workstation.write_text(f'#!/bin/sh\nexec ip netns exec {console_lab.agent_hosts[0].namespace} {CHROMIUM} "$@"\n')
    workstation.chmod(0o755)
    with sync_playwright() as playwright:
        # Chromium on Linux reads its trust anchors from $HOME/.pki/nssdb: the role's CA is one.
        browser = playwright.chromium.launch(executable_path=str(workstation), args=FLAGS,
                                             env={**os.environ, "HOME": str(home)})
        try:
            page = browser.new_context(locale="en-US").new_page()
            response = page.goto(f"{url}/login")
            assert response.status == 200 and response.url.startswith("https://")
            page.get_by_label("Username").fill("thu")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            expect(page.get_by_role("heading", name="Overview")).to_be_visible()
            page.goto(f"{url}/hosts?q=lab-host")
            for host in console_lab.agent_hosts:
                row = page.get_by_role("row").filter(has_text=host.name)
                expect(row.get_by_test_id("host-status")).to_have_text(re.compile("^(OK|Warning)$"))
            console_row = page.get_by_role("row").filter(has_text=console_lab.console_host.name)
            expect(console_row.get_by_test_id("host-status")).to_have_text("Never seen")
        finally:
            browser.close()


def test_second_run_of_the_console_role_changes_nothing(console_lab):
    console_lab.installed()
    result = console_lab.run_console_playbook()

    assert result.status == "successful", (result.stats, result.failures())
    assert result.hosts_with("changed") == set(), result.changed_tasks()


def test_a_check_run_of_the_console_role_reports_nothing_to_change(console_lab):
    console_lab.installed()
    result = console_lab.run_console_playbook(check=True)

    assert result.status == "successful", (result.stats, result.failures())
    assert result.hosts_with("changed") == set(), result.changed_tasks()


def test_the_role_stops_naming_the_missing_secret(console_lab):
    extravars = dict(console_lab.extravars, ops_console_secret_key="")
    result = console_lab.lab.run_playbook("console.yml", extravars, limit=console_lab.console_host.name)

    assert result.status == "failed"
    assert "ops_console_secret_key" in " ".join(result.failures())

