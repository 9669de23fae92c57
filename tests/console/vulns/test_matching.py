"""Debian's verdicts against installed versions: the real tracker entries of the committed excerpt
(tests/data/debian-security-tracker-excerpt.json, each entry's source named in it) and this machine's real
dpkg status (a Debian 12 host; the lab hosts share it).

The hand-made host inventories below are package lists, not tracker data: their versions are those of real
Debian packages (an unpatched bookworm image, a kernel from bookworm-backports).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from console.vulns.matching import match_host, tracked_sources
from console.vulns.tracker import parse
from probes.collectors.packages import read_status

EXCERPT = Path(__file__).resolve().parents[2] / "data" / "debian-security-tracker-excerpt.json"


@pytest.fixture(scope="module")
def tracker():
    parsed = parse(EXCERPT, {"bookworm", "bullseye", "buster"})
    by_release: dict[str, dict] = {}
    for (release, source), entries in parsed.sources.items():
        by_release.setdefault(release, {})[source] = entries
    return by_release


def pkg(name, version, source=None, source_version=None):
    return {"name": name, "version": version, "arch": "amd64", "source": source or name,
            "source_version": source_version or version}


def findings(tracker, release, *packages):
    return {(f.cve, f.source): f for f in match_host(tracked_sources(list(packages)), tracker[release].get, {})}


def test_this_debian_12_host_shows_only_what_debian_leaves_unfixed(tracker):
    """Up to date: every fixed entry is at or below the installed version, the not-affected ones are silent."""
    found = findings(tracker, "bookworm", *read_status(Path("/var/lib/dpkg/status")))
    assert sorted(found) == [("CVE-2011-4116", "perl"), ("CVE-2022-27943", "gcc-12"),
                             ("CVE-2024-2236", "libgcrypt20"), ("CVE-2026-1757", "libxml2")]
    assert {(f.state, f.urgency, f.fixed_version) for f in found.values()} == {("open", "unimportant", "")}


def test_a_package_debian_marks_not_affected_in_bookworm_is_not_listed(tracker):
    """curl CVE-2024-6197 and libssh2 CVE-2023-48795: <not-affected> in bookworm, though sid's fix is newer."""
    found = findings(tracker, "bookworm", pkg("libcurl4", "7.88.1-10", "curl"), pkg("libssh2-1", "1.10.0-3+b1", "libssh2",
                                                                                 "1.10.0-3"))
    assert found == {}


def test_security_suite_versions_order_as_debian_orders_them_not_as_strings(tracker):
    """openssh CVE-2025-32728 is fixed in 1:9.2p1-2+deb12u6: +deb12u10 is newer, though it sorts before as text."""
    assert "1:9.2p1-2+deb12u10" < "1:9.2p1-2+deb12u6"  # the trap of a string comparison
    newer = findings(tracker, "bookworm", pkg("openssh-server", "1:9.2p1-2+deb12u10", "openssh"))
    assert newer == {}
    older = findings(tracker, "bookworm", pkg("openssh-server", "1:9.2p1-2+deb12u5", "openssh"))
    assert set(older) == {("CVE-2025-32728", "openssh")}
    assert older[("CVE-2025-32728", "openssh")].fixed_version == "1:9.2p1-2+deb12u6"


def test_an_unpatched_bookworm_image_has_every_epoch_versioned_fix_available(tracker):
    found = findings(tracker, "bookworm", pkg("openssh-client", "1:9.2p1-2", "openssh"),
                     pkg("libcap2", "1:2.66-4", "libcap2"), pkg("libcap2-bin", "1:2.66-4+deb12u2+b2", "libcap2",
                                                                "1:2.66-4+deb12u2"))
    assert {cve for cve, source in found if source == "openssh"} == {"CVE-2023-38408", "CVE-2023-51384",
                                                                    "CVE-2025-32728"}
    assert all(f.state == "fixable" for f in found.values())
    # Two builds of libcap2 installed: the older one (1:2.66-4 < 1:2.66-4+deb12u1) is what is affected.
    assert found[("CVE-2025-1390", "libcap2")].installed == "1:2.66-4"


def test_tilde_versions_sort_before_the_version_without_them(tracker):
    """libxml2 CVE-2025-9714 is fixed in 2.9.14+dfsg-1.3~deb12u5: ~deb12u4 is older, ~deb12u5 is it."""
    assert set(findings(tracker, "bookworm", pkg("libxml2", "2.9.14+dfsg-1.3~deb12u4"))) >= {
        ("CVE-2025-9714", "libxml2")}
    assert ("CVE-2025-9714", "libxml2") not in findings(tracker, "bookworm", pkg("libxml2", "2.9.14+dfsg-1.3~deb12u5"))
    found = findings(tracker, "bookworm", pkg("libssl3", "3.0.15-1~deb12u1", "openssl"))
    assert found[("CVE-2024-13176", "openssl")].fixed_version == "3.0.16-1~deb12u1"


def kernel(version: str, abi: str) -> dict:
    """A kernel image as dpkg lists it: built from linux-signed-amd64, whose version has "+" for "-"."""
    signed = version.replace("-", "+", 1)
    return pkg(f"linux-image-{abi}-amd64", version, "linux-signed-amd64", signed)


def test_kernels_are_matched_as_the_linux_source_package_at_the_image_version(tracker):
    """CVE-2024-38550 is fixed in bookworm's linux 6.1.94-1."""
    old = findings(tracker, "bookworm", kernel("6.1.90-1", "6.1.0-21"))
    assert old[("CVE-2024-38550", "linux")].installed == "6.1.90-1"
    assert old[("CVE-2024-38550", "linux")].fixed_version == "6.1.94-1"
    assert findings(tracker, "bookworm", kernel("6.1.94-1", "6.1.0-22")) == {}
    # A kernel from bookworm-backports: 6.10.6-1~bpo12+1 is newer than bookworm's 6.1.94-1.
    assert findings(tracker, "bookworm", kernel("6.10.6-1~bpo12+1", "6.10.6+bpo")) == {}
    # The old image still installed beside the new one keeps the CVE listed, at the old version.
    both = findings(tracker, "bookworm", kernel("6.1.90-1", "6.1.0-21"), kernel("6.1.94-1", "6.1.0-22"))
    assert both[("CVE-2024-38550", "linux")].installed == "6.1.90-1"


def test_debians_decisions_not_to_fix_are_shown_as_debian_states_them(tracker):
    bookworm = findings(tracker, "bookworm", pkg("erlang-base", "1:25.2.3+dfsg-1", "erlang"),
                        pkg("python3-paramiko", "2.12.0-2", "paramiko"))
    assert (bookworm[("CVE-2023-48795", "erlang")].state, bookworm[("CVE-2023-48795", "erlang")].note) == (
        "no_dsa", "Minor issue")
    assert bookworm[("CVE-2023-48795", "paramiko")].state == "ignored"
    buster = findings(tracker, "buster", pkg("golang-golang-x-crypto-dev", "1:0.0~git20181203.505ab14-1",
                                             "golang-go.crypto"), pkg("libsqlite3-0", "3.27.2-3", "sqlite3"))
    assert buster[("CVE-2023-48795", "golang-go.crypto")].state == "postponed"
    assert buster[("CVE-2023-7104", "sqlite3")].state == "no_dsa"


def test_an_identifier_of_an_unknown_kind_is_left_out_and_counted_not_a_reason_to_refuse(tmp_path):
    changed = tmp_path / "json"
    changed.write_text(EXCERPT.read_text().replace('"CVE-2011-4116"', '"NOT-A-CVE-1"'))
    parsed = parse(changed, {"bookworm"})
    assert parsed.skipped == ["perl NOT-A-CVE-1"]
    assert "perl" not in {source for _release, source in parsed.sources}
