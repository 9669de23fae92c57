"""Hostile and broken EVE lines: each counted by kind, and every good line still lands."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from console.models import Alert, ContextEvent
from console.alerts.follow import Follower
from console.alerts.health import problem_counts, problem_totals
from console.alerts.ingest import ingest_files
from tests.console.alerts.conftest import alert_lines, alerts_settings

GOOD_ALERT = json.dumps({"timestamp": "2026-02-01T10:00:00.000000+0700", "event_type": "alert", "flow_id": 77,
                         "src_ip": "198.18.20.10", "src_port": 1234, "dest_ip": "198.18.20.80", "dest_port": 80,
                         "proto": "TCP", "alert": {"gid": 1, "signature_id": 9905001, "rev": 1,
                                                   "signature": "ok", "severity": 2},
                         "something_new": {"kept": True}}).encode()
UNKNOWN_TYPE = b'{"timestamp":"2026-02-01T10:00:01+0000","event_type":"quic_ng","flow_id":77,"weird":[1,2]}'


def _count(factory, model) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_each_bad_line_is_counted_by_kind_and_the_good_ones_land(factory, tmp_path):
    eve = tmp_path / "eve.json"
    eve.write_bytes(b"\n".join([
        GOOD_ALERT,
        b"this is not json",
        b'{"timestamp":"2026-02-01T10:00:00+0000","no_type":1}',
        b'{"timestamp":"2026-02-01T10:00:00+0000","event_type":"dns","x":"\xff\xfe"}',
        b"[1,2,3]",
        b'{"event_type":"flow","timestamp":"yesterday"}',
        b'{"event_type":"alert","timestamp":"2026-02-01T10:00:00+0000","alert":{"signature_id":"x"}}',
        UNKNOWN_TYPE,
        b"{" * 5000 + b"}" * 5000,
        GOOD_ALERT.replace(b'"flow_id": 77', b'"flow_id": 78'),
    ]) + b"\n")
    totals = ingest_files(factory, [eve], "s", 3, 65536)
    assert totals.alerts == 2 and _count(factory, Alert) == 2
    with factory() as session:
        assert problem_totals(session) == {"bad_json": 2, "no_event_type": 1, "invalid_utf8": 1, "not_object": 1,
                                           "bad_timestamp": 1, "bad_alert": 1}
        details = {row["kind"]: row["last_detail"] for row in problem_counts(session)}
        unknown = session.scalars(select(ContextEvent).where(ContextEvent.event_type == "quic_ng")).one()
        stored = session.scalars(select(Alert.record)).first()
    assert details["invalid_utf8"].startswith(f"{eve}:4: invalid UTF-8")
    assert json.loads(unknown.record)["weird"] == [1, 2] and unknown.flow_id == 77
    assert json.loads(stored)["something_new"] == {"kept": True}


def test_a_ten_megabyte_line_is_skipped_as_oversize_without_losing_its_neighbours(factory, tmp_path):
    eve = tmp_path / "eve.json"
    huge = b'{"event_type":"alert","timestamp":"2026-02-01T10:00:00+0000","pad":"' + b"A" * (10 * 1024 * 1024) + b'"}'
    eve.write_bytes(GOOD_ALERT + b"\n" + huge + b"\n" + GOOD_ALERT.replace(b"77", b"79") + b"\n")
    follower = Follower(factory, alerts_settings([eve], max_line_bytes=1024 * 1024), "s")
    follower.run(exit_when_idle=True)
    assert _count(factory, Alert) == 2
    with factory() as session:
        assert problem_totals(session) == {"oversize": 1}


def test_a_truncated_last_line_is_waited_for_not_counted(factory, tmp_path):
    eve = tmp_path / "eve.json"
    eve.write_bytes(GOOD_ALERT + b"\n" + GOOD_ALERT[:40])
    with Follower(factory, alerts_settings([eve]), "s") as follower:
        follower.poll_once()
        assert _count(factory, Alert) == 1
        with open(eve, "ab") as handle:
            handle.write(GOOD_ALERT[40:] + b"\n")
        follower.poll_once()
    assert _count(factory, Alert) == 2
    with factory() as session:
        assert problem_totals(session) == {}


def test_a_finished_file_cut_in_its_last_line_counts_it_truncated(factory, tmp_path):
    eve = tmp_path / "eve.json"
    eve.write_bytes(GOOD_ALERT + b"\n" + GOOD_ALERT[:60])
    ingest_files(factory, [eve], "s", 10, 65536)
    with factory() as session:
        assert problem_totals(session) == {"truncated_line": 1}
    assert _count(factory, Alert) == 1


def test_a_checkpoint_past_the_end_of_a_shorter_new_file_restarts_from_zero(factory, suricata_eve, tmp_path):
    eve = tmp_path / "eve.json"
    eve.write_bytes(suricata_eve.read_bytes())
    Follower(factory, alerts_settings([eve]), "s").run(exit_when_idle=True)
    # The same inode rewritten shorter while the follower was down, its first bytes unchanged.
    first = alert_lines(suricata_eve)[0]
    content = suricata_eve.read_bytes()
    with open(eve, "r+b") as handle:
        handle.truncate(0)
        handle.write(content[:2048].rsplit(b"\n", 1)[0] + b"\n" + first + b"\n")
    Follower(factory, alerts_settings([eve]), "s").run(exit_when_idle=True)
    with factory() as session:
        assert problem_totals(session) == {"checkpoint_past_end": 1}
