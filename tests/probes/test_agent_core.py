"""The agent's own parts: reports with failing collectors, signatures, and the bounded spool."""

from __future__ import annotations

import json

import pytest

from probes import signing
from probes.agent import collect_report
from probes.collectors.health import HealthCollector, parse_chrony_offset
from probes.report import Report
from probes.spool import Spool


class Broken:
    name = "firewall"

    def collect(self):
        raise RuntimeError("nft: permission denied")


def test_a_broken_collector_is_an_error_entry_and_the_others_still_report():
    report = collect_report([Broken(), HealthCollector(["ssh"], cpu_interval=0)], "srv1", 60)
    assert report["errors"] == [{"collector": "firewall", "error": "RuntimeError: nft: permission denied"}]
    assert report["health"]["memory_total_bytes"] > 0 and report["health"]["disks"]
    parsed = Report.model_validate(report)
    assert parsed.health.services[0].name == "ssh"


def test_chrony_offset_sign_follows_slow_and_fast():
    assert parse_chrony_offset("System time     : 0.000120 seconds slow of NTP time\n") == (-0.00012, "chrony")
    assert parse_chrony_offset("System time     : 1.5 seconds fast of NTP time\n") == (1.5, "chrony")
    assert parse_chrony_offset("506 Cannot talk to daemon\n") == (None, None)


def test_signature_covers_agent_time_and_exact_body():
    key = signing.new_private_key()
    public = signing.public_key_text(key)
    signature = signing.sign(key, "a1", "2026-11-25T00:00:00+00:00", b'{"x":1}')
    assert signing.verify(public, "a1", "2026-11-25T00:00:00+00:00", b'{"x":1}', signature)
    assert not signing.verify(public, "a1", "2026-11-25T00:00:00+00:00", b'{"x":2}', signature)
    assert not signing.verify(public, "a2", "2026-11-25T00:00:00+00:00", b'{"x":1}', signature)
    assert not signing.verify(public, "a1", "2026-11-25T00:00:01+00:00", b'{"x":1}', signature)
    assert not signing.verify(public, "a1", "2026-11-25T00:00:00+00:00", b'{"x":1}', "not base64!")


def test_spool_keeps_order_and_drops_oldest_when_full(tmp_path):
    spool = Spool(tmp_path / "spool", max_bytes=64 * 1024)
    body = b"x" * 20_000
    for number in range(5):
        spool.put(f"r{number}", body)
    names = [p.name.split("-", 1)[1] for p in spool.pending()]
    assert names == ["r2.json", "r3.json", "r4.json"]
    assert spool.stats().dropped == 2


def test_spool_order_survives_a_lost_state_file(tmp_path):
    spool = Spool(tmp_path / "spool", max_bytes=1024 * 1024)
    spool.put("first", b"{}")
    spool.put("second", b"{}")
    (tmp_path / "spool" / "state.json").unlink()
    spool.put("third", b"{}")
    assert [p.name.split("-", 1)[1] for p in spool.pending()] == ["first.json", "second.json", "third.json"]


def test_rejected_reports_leave_the_queue_with_their_reason(tmp_path):
    spool = Spool(tmp_path / "spool", max_bytes=1024 * 1024)
    path = spool.put("bad", json.dumps({"x": 1}).encode())
    spool.reject(path, "422: health.cpu_percent: Input should be a valid number")
    assert spool.pending() == [] and spool.stats().rejected == 1
    assert "cpu_percent" in (tmp_path / "spool" / "rejected" / path.name).with_suffix(".reason").read_text()


def test_a_report_larger_than_the_spool_is_refused(tmp_path):
    spool = Spool(tmp_path / "spool", max_bytes=64 * 1024)
    with pytest.raises(ValueError, match="larger than the whole spool"):
        spool.put("huge", b"x" * (65 * 1024))
