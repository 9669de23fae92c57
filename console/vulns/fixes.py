"""What a CVE's "Fix with Ansible" upgrades, and how its verification reads the next inventory report.

`fix_plan` names, for the chosen hosts, the installed binary packages of the source package the CVE affects
there (a kernel's are those of the signed images and their metapackage, whose source the tracker calls
`linux`), refusing a host where the CVE has no fix available or does not apply. `fix_verdict` judges one host
after the apply job: nothing until its agent has reported its packages since then; then pass if the CVE no
longer affects what is installed, else fail naming the version still installed and the one that fixes it.
Package names come from agents' reports: only names of Debian's syntax (Policy 5.6.1) reach a playbook.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.errors import ValidationFailed
from console.models.inventory import Host, HostStatus
from console.models.vulns import HostPackages, HostVuln
from console.vulns.matching import SIGNED_KERNEL_PREFIX
from console.vulns.queries import CVE_PATTERN, URGENCY_RANK

__all__ = ["FixPlan", "fix_plan", "fix_verdict", "PACKAGE_NAME"]

PACKAGE_NAME = re.compile(r"[a-z0-9][a-z0-9+.-]{1,127}")
MAX_PACKAGES = 200


@dataclass
class FixPlan:
    cve: str
    urgency: str
    packages: list[str]  # the union over the hosts: the playbook's ops_upgrade_packages
    hosts: dict[str, dict] = field(default_factory=dict)  # name: {source, installed, fixed_version, packages}


def fix_plan(session: Session, cve: str, host_names: list[str]) -> FixPlan:
    """The packages to upgrade on `host_names` for `cve`; ValidationFailed names a host it cannot fix."""
    if not re.match(CVE_PATTERN, cve or ""):
        raise ValidationFailed("cve", f"{cve!r} is not a CVE id (CVE-YYYY-NNNN)")
    wanted = sorted({name.strip() for name in host_names if name and name.strip()})
    rows = session.execute(select(HostVuln, Host.name).join(Host, Host.id == HostVuln.host_id)
                           .where(HostVuln.cve == cve, HostVuln.state == "fixable", Host.status == HostStatus.active,
                                  Host.name.in_(wanted))).all()
    found = {name: finding for finding, name in rows}
    missing = [name for name in wanted if name not in found]
    if missing:
        raise ValidationFailed("hosts", f"{', '.join(missing[:5])}: {cve} has no fix available there "
                                        "(not affected, no fix released, or not an active host)")
    lists = dict(session.execute(select(HostPackages.host_id, HostPackages.packages)
                                 .where(HostPackages.host_id.in_([f.host_id for f in found.values()]))).all())
    plan = FixPlan(cve, min((f.urgency for f in found.values()), key=_urgency_rank, default=""), [])
    union: set[str] = set()
    for name, finding in sorted(found.items()):
        names = sorted({p.get("name", "") for p in lists.get(finding.host_id) or []
                        if _source_of(p) == finding.source and PACKAGE_NAME.fullmatch(p.get("name", ""))})
        if not names:
            raise ValidationFailed("hosts", f"{name}: no installed package of {finding.source} in its last list")
        plan.hosts[name] = {"source": finding.source, "installed": finding.installed,
                            "fixed_version": finding.fixed_version, "packages": names}
        union.update(names)
    if len(union) > MAX_PACKAGES:
        raise ValidationFailed("hosts", f"{len(union)} packages to upgrade: at most {MAX_PACKAGES} at once")
    plan.packages = sorted(union)
    return plan


def _source_of(package: dict) -> str:
    source = package.get("source") or package.get("name", "")
    return "linux" if source.startswith(SIGNED_KERNEL_PREFIX) else source


def _urgency_rank(urgency: str) -> int:
    """Debian's urgency by queries.URGENCY_RANK (high first); an unknown one last."""
    return URGENCY_RANK.get(urgency.rstrip("*").strip(), len(URGENCY_RANK))


def fix_verdict(session: Session, host_id: int, cve: str, since: datetime) -> tuple[str, str, dict] | None:
    """(result, why, reason) for one host of a CVE fix, or None until its agent has reported its packages
    after `since` (the apply job's end)."""
    listed = session.get(HostPackages, host_id)
    if listed is None or listed.reported_at is None or listed.reported_at <= since:
        return None
    still = session.scalars(select(HostVuln).where(HostVuln.host_id == host_id, HostVuln.cve == cve)
                            .order_by(HostVuln.source)).first()
    if still is None:
        return ("pass", f"{cve} no longer affects the installed packages (reported {listed.reported_at:%Y-%m-%d %H:%M} UTC)",
                {"k": "vuln_fixed", "cve": cve})
    if still.state == "fixable":
        return ("fail", f"{still.source} {still.installed} is still installed; {cve} is fixed in {still.fixed_version}",
                {"k": "vuln_still_installed", "cve": cve, "source": still.source, "installed": still.installed,
                 "fixed": still.fixed_version})
    return ("fail", f"{cve} still affects {still.source} {still.installed} ({still.state})",
            {"k": "vuln_still_affected", "cve": cve, "source": still.source, "installed": still.installed,
             "state": still.state})
