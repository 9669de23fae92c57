"""A CVE's Fix with Ansible: check job, approval, apply job, and verification by each host's next package list.

The hosts web-a and web-b (tests.console.jobs' inventory, `ansible_connection: local`) report package lists
with libcap2 1:2.66-4, which the committed excerpt of real tracker data (CVE-2025-1390, fixed in bookworm in
1:2.66-4+deb12u1: an epoch) makes fixable. The jobs run as the console runs them (a detached worker). Upgrading
packages of this machine from a test is not an option, so the console's [vulns] fix_playbook is a stand-in here
that records, per host, the packages the console asked it to upgrade; the shipped playbook
(playbooks/remediate/upgrade-packages.yml) is run for real below for what it can do here (refuse an empty list)
and linted with the others (tests/playbooks/test_playbooks_static.py). The "agent" is the test: it stores the
package list a host would report after the upgrade.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from console.access.actor import Actor
from console.db import session_scope
from console.errors import Conflict, PermissionDenied, ValidationFailed
from console.models import AuditEvent, Host, Remediation, RemediationState
from console.models.base import utcnow
from console.remediation import service as remediation
from console.vulns import inventory as vuln_inventory
from console.vulns import tracker
from probes.report import Packages
from tests.console.remediation.test_remediation_service import AUDITOR, OFFICER, OTHER, STAFF
from tests.console.remediation.test_remediation_service import synced_small  # noqa: F401 (fixture)
from tests.conftest import csrf_token, login

pytestmark = pytest.mark.external  # real ansible-playbook runs in a detached worker
ROOT = Path(__file__).resolve().parents[3]
EXCERPT = ROOT / "tests" / "data" / "debian-security-tracker-excerpt.json"
CVE = "CVE-2025-1390"
STAND_IN = """
- name: Record what a CVE fix was asked to upgrade (a stand-in for remediate/upgrade-packages.yml)
  hosts: all
  gather_facts: false
  tasks:
    - name: Write the packages
      ansible.builtin.copy:
        content: "{{{{ ops_upgrade_packages }}}}\\n"
        dest: "{markers}/{{{{ inventory_hostname }}}}"
        mode: "0644"
"""


@pytest.fixture
def config_file(config_file, fix_files):
    _inventory, playbooks, _controls, markers = fix_files
    (playbooks / "remediate" / "record-upgrade.yml").write_text(STAND_IN.format(markers=markers).lstrip())
    with config_file.open("a") as out:
        out.write('[vulns]\nfix_playbook = "remediate/record-upgrade.yml"\nfix_verify_minutes = 5\n')
    return config_file


def package_list(libcap: str) -> Packages:
    packages = [{"name": "libcap2", "version": libcap, "arch": "amd64", "source": "libcap2", "source_version": libcap},
                {"name": "libcap2-bin", "version": libcap, "arch": "amd64", "source": "libcap2",
                 "source_version": libcap},
                {"name": "bash", "version": "5.2.15-2+b7", "arch": "amd64", "source": "bash",
                 "source_version": "5.2.15-2"}]
    digest = hashlib.sha256(repr(packages).encode()).hexdigest()
    return Packages.model_validate({"release": "bookworm", "digest": digest, "count": len(packages),
                                    "packages": packages})


def reports_packages(session_factory, host: str, libcap: str) -> None:
    """What the host's agent would send: its package list, with libcap2 at `libcap`."""
    with session_scope(session_factory) as db:
        host_id = db.scalar(select(Host.id).where(Host.name == host))
        vuln_inventory.store(db, host_id, f"report-{host}-{libcap}", package_list(libcap))


@pytest.fixture
def affected(session_factory, settings, synced_small):
    with session_scope(session_factory) as db:
        tracker.import_data(db, Actor.cli(), str(EXCERPT), settings.vulns.releases)
    for host in ("web-a", "web-b"):
        reports_packages(session_factory, host, "1:2.66-4")


def wait_for(session_factory, settings, item_id: int, states: set[str]) -> Remediation:
    from tests.console.remediation.test_remediation_service import wait_for as wait

    return wait(session_factory, settings, None, item_id, states)


@pytest.mark.sqlite_only  # the chain's jobs are the same on both; the refusals below run on both
def test_a_fixable_cve_is_checked_approved_applied_and_verified_by_the_next_package_lists(
        session_factory, settings, affected, fix_files):
    markers = fix_files[3]
    item = remediation.start_cve(session_factory, STAFF, settings, CVE, ["web-a", "web-b"])
    assert (item.cve, item.control_id, item.needs_approval) == (CVE, CVE, True)
    assert item.extravars == {"ops_upgrade_packages": "libcap2,libcap2-bin"}  # the affected source's binaries only
    wait_for(session_factory, settings, item.id, {"checked"})
    assert not (markers / "web-a").exists()  # the check job writes nothing

    with pytest.raises(Conflict, match="approved first"):
        remediation.apply(session_factory, STAFF, settings, item.id)
    with session_scope(session_factory) as db, pytest.raises(PermissionDenied, match="second person"):
        remediation.approve(db, STAFF, item.id)
    with session_scope(session_factory) as db:
        remediation.approve(db, OFFICER, item.id)
    remediation.apply(session_factory, OTHER, settings, item.id)
    verifying = wait_for(session_factory, settings, item.id, {"verifying"})
    assert (markers / "web-a").read_text() == "libcap2,libcap2-bin\n"

    # web-a's next list has the fixed version; web-b's still the old one. Until both have sent theirs,
    # nothing is judged.
    reports_packages(session_factory, "web-a", "1:2.66-4+deb12u1")
    remediation.advance(session_factory, settings, None)
    with session_factory() as db:
        assert db.get(Remediation, item.id).state == RemediationState.verifying
    reports_packages(session_factory, "web-b", "1:2.66-4")
    done = wait_for(session_factory, settings, item.id, {"verified", "still_failing"})

    assert done.state == RemediationState.still_failing
    results = {row["host"]: row for row in done.verification}
    assert results["web-a"]["result"] == "pass" and results["web-b"]["result"] == "fail"
    assert results["web-b"]["why"] == f"libcap2 1:2.66-4 is still installed; {CVE} is fixed in 1:2.66-4+deb12u1"
    assert done.verified_at > verifying.apply_ended_at
    with session_factory() as db:
        started = db.scalars(select(AuditEvent).where(AuditEvent.action == "remediation.start")).one()
    assert started.detail["cve"] == CVE and started.detail["packages"] == ["libcap2", "libcap2-bin"]


def test_a_host_without_the_fix_available_or_a_reader_is_refused(session_factory, settings, affected):
    with pytest.raises(ValidationFailed, match="far-1: CVE-2025-1390 has no fix available there"):
        remediation.start_cve(session_factory, STAFF, settings, CVE, ["web-a", "far-1"])  # no package list
    with pytest.raises(ValidationFailed, match="web-a: CVE-2024-2236 has no fix available"):  # open: no fix yet
        remediation.start_cve(session_factory, STAFF, settings, "CVE-2024-2236", ["web-a"])
    with pytest.raises(ValidationFailed, match="not a CVE id"):
        remediation.start_cve(session_factory, STAFF, settings, "CVE-2025-1390; rm", ["web-a"])
    with pytest.raises(PermissionDenied):
        remediation.start_cve(session_factory, AUDITOR, settings, CVE, ["web-a"])
    first = remediation.start_cve(session_factory, STAFF, settings, CVE, ["web-a"])
    with pytest.raises(Conflict, match=f"remediation #{first.id} of {CVE} is still open on web-a"):
        remediation.start_cve(session_factory, STAFF, settings, CVE, ["web-a", "web-b"])
    wait_for(session_factory, settings, first.id, {"checked"})


@pytest.mark.sqlite_only  # the chain's jobs are the same on both; the refusals below run on both
def test_no_package_list_before_the_deadline_leaves_the_host_unknown(session_factory, settings, affected):
    item = remediation.start_cve(session_factory, STAFF, settings, CVE, ["web-a"])
    wait_for(session_factory, settings, item.id, {"checked"})
    with session_scope(session_factory) as db:
        remediation.approve(db, OFFICER, item.id)
    remediation.apply(session_factory, OTHER, settings, item.id)
    wait_for(session_factory, settings, item.id, {"verifying"})
    remediation.advance(session_factory, settings, None, now=utcnow() + timedelta(minutes=6))
    with session_factory() as db:
        done = db.get(Remediation, item.id)
        assert done.state == RemediationState.still_failing
        assert done.verification[0]["result"] == "unknown"
        assert "no package list from the agent since the apply job ended" in done.verification[0]["why"]


def test_the_shipped_upgrade_playbook_refuses_a_run_that_names_no_package(tmp_path):
    playbook = ROOT / "playbooks" / "remediate" / "upgrade-packages.yml"
    result = subprocess.run([str(Path(sys.executable).with_name("ansible-playbook")), "-i", "localhost,", "-c", "local",
                             "-e", "ansible_python_interpreter=" + sys.executable, "-e", "ops_upgrade_packages=",
                             str(playbook)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "ops_upgrade_packages names no package to upgrade" in result.stdout


@pytest.mark.sqlite_only  # the chain's jobs are the same on both; the refusals below run on both
def test_the_cve_page_offers_the_fix_to_it_staff_only_and_starts_it_with_csrf(session_factory, settings, affected,
                                                                               app, client, logged_in, make_user,
                                                                               token_for):
    reader = app.test_client()
    login(reader, make_user("audrey", "auditor"))
    assert 'data-testid="fix-cve"' not in reader.get(f"/vulns/cves/{CVE}").get_data(as_text=True)
    auditor = token_for("auditor")
    assert client.post(f"/api/v1/vulns/cves/{CVE}/remediations", json={"hosts": ["web-a"]},
                       headers=auditor).status_code == 403

    logged_in("it_staff", "lan")
    page = client.get(f"/vulns/cves/{CVE}").get_data(as_text=True)
    assert 'data-testid="fix-cve"' in page
    assert 'name="host" value="web-a"' in page and 'name="host" value="web-b"' in page
    form = {"csrf_token": csrf_token(page), "cve": CVE, "host": ["web-a"]}
    assert client.post("/remediation/cve", data={**form, "csrf_token": "forged"}).status_code == 400
    answer = client.post("/remediation/cve", data=form)
    assert answer.status_code == 302 and "/remediation/" in answer.headers["Location"]
    detail = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert f'href="/vulns/cves/{CVE}"' in detail and "a package upgrade: a second person must approve" in detail
    assert "#" in client.get(f"/vulns/cves/{CVE}").get_data(as_text=True).split('data-testid="cve-fixes"')[1][:200]

    staff = token_for("it_staff")
    refused = client.post(f"/api/v1/vulns/cves/{CVE}/remediations", json={"hosts": ["far-1"]}, headers=staff)
    assert refused.status_code == 400 and "far-1" in refused.get_json()["errors"][0]["message"]
    started = client.post(f"/api/v1/vulns/cves/{CVE}/remediations", json={"hosts": ["web-b"]}, headers=staff)
    assert started.status_code == 201 and started.get_json()["data"]["cve"] == CVE
    for item_id in (int(answer.headers["Location"].rsplit("/", 1)[1]), started.get_json()["data"]["id"]):
        wait_for(session_factory, settings, item_id, {"checked"})
