"""Which of Debian's verdicts affect an installed source package: pure, no database.

A tracker entry for one source package, CVE and release is stored as the list
[status, fixed_version, urgency, nodsa, nodsa_reason] (tracker.py). Against an
installed source version it means:

- "resolved" with fixed_version "0": that release was never affected: nothing;
- "resolved" with a fixed version: affected while the installed version sorts
  before it in Debian's version ordering (deb-version(7): epochs, `~` before
  anything, `+deb12u10` after `+deb12u9`), compared by python-debian's
  `version_compare` (python-apt's where present), never as strings;
- "open": affected and no fix in that release; Debian's decision is kept as
  the state: no_dsa (a <no-dsa> note: fixed in a point release or not at all),
  postponed, ignored, end_of_life (the package is no longer supported), open;
- "undetermined": Debian has not decided whether the release is affected.

Kernels: the images (linux-image-6.1.0-NN-amd64) are built from the source
package linux-signed-amd64 (and -arm64, -i386), whose versions are the linux
package's with "+" for "-"; the tracker tracks only "linux". An image's own
Version is the linux source version it was built from ("6.1.94-1", or
"6.10.6-1~bpo12+1" from backports), so it is matched as linux at that version.
A backports version sorts after the release's own versions of the same upstream
(6.10.6-1~bpo12+1 > 6.1.94-1) and before the version it was backported from.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from debian.debian_support import version_compare

STATES = ("fixable", "open", "no_dsa", "postponed", "ignored", "end_of_life", "undetermined")
STATUSES = ("resolved", "open", "undetermined")
SIGNED_KERNEL_PREFIX = "linux-signed-"


@dataclass(frozen=True)
class Finding:
    cve: str
    source: str
    installed: str
    state: str
    fixed_version: str
    urgency: str
    note: str


def classify(installed: str, entry: list) -> str | None:
    """The state of one tracker entry against an installed source version, or None when it does not apply."""
    status, fixed, urgency, nodsa, reason = entry
    if status == "resolved":
        if not fixed or fixed == "0" or is_at_least(installed, fixed):
            return None
        return "fixable"
    if status == "undetermined":
        return "undetermined"
    if urgency == "end-of-life":
        return "end_of_life"
    if nodsa is not None:
        return {"ignored": "ignored", "postponed": "postponed"}.get(reason or "", "no_dsa")
    return "open"


@lru_cache(maxsize=200_000)
def is_at_least(installed: str, fixed: str) -> bool:
    """installed >= fixed in Debian's version ordering."""
    return version_compare(installed, fixed) >= 0


def tracked_sources(packages: list[dict]) -> set[tuple[str, str]]:
    """The (source package, source version) pairs of a package list, as the tracker names them."""
    found = set()
    for package in packages:
        source, version = package["source"], package["source_version"]
        if source.startswith(SIGNED_KERNEL_PREFIX):
            source, version = "linux", package["version"]
        found.add((source, version))
    return found


def findings_for(source: str, installed: str, entries: dict | None) -> list[Finding]:
    """Every entry of one source package (its {CVE: entry} in the host's release) affecting `installed`."""
    found = []
    for cve, entry in (entries or {}).items():
        state = classify(installed, entry)
        if state is not None:
            found.append(Finding(cve, source, installed, state, entry[1] if state == "fixable" else "",
                                 entry[2] or "", _note(entry)))
    return found


def _note(entry: list) -> str:
    nodsa = entry[3]
    return (nodsa or "")[:300]


def match_host(pairs: set[tuple[str, str]], entries_of, cache: dict | None = None) -> list[Finding]:
    """The findings of one host (in no order) from its (source, version) pairs; `entries_of(source)` gives {CVE: entry}.

    `cache` ((source, version) -> findings) is shared across the hosts of one release: an estate runs
    the same few versions of each package, so each pair is worked out once.
    """
    found: dict[tuple[str, str], Finding] = {}
    for source, version in pairs:
        key = (source, version)
        results = cache.get(key) if cache is not None else None
        if results is None:
            results = findings_for(source, version, entries_of(source))
            if cache is not None:
                cache[key] = results
        for finding in results:
            known = found.get((finding.cve, source))
            if known is None or not is_at_least(finding.installed, known.installed):
                found[(finding.cve, source)] = finding  # two kernels installed: the older one counts
    return list(found.values())
