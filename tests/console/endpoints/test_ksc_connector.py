"""The KSC Open API connector against the replay double: login, paging, faults, shape checks."""

from __future__ import annotations

import time

import pytest

from console.endpoints import ksc
from tests.console.endpoints.conftest import ksc_config


def test_reads_every_host_over_several_chunks_and_releases_the_accessors(ksc_replay):
    ksc_replay.chunk_limit = 3
    hosts, groups = ksc.read_hosts(ksc_config(ksc_replay, chunk_size=4))
    assert groups == {2: "IT Centre", 3: "Department Office"}
    assert len(hosts) == len(ksc_replay.estate.hosts) == 15  # 3 of 4 servers (dtnmt-bak-01 unmanaged) + 12 workstations
    assert ksc_replay.calls.count("ChunkAccessor.GetItemsChunk") >= 1 + 15 // 3
    assert ksc_replay.calls.count("ChunkAccessor.Release") == 2
    assert ksc_replay.calls[0] == "Session.StartSession"
    web = next(host for host in hosts if host.name == "dtnmt-web-01")
    assert (web.address, web.group_id, web.os_name.startswith("Debian")) == ("198.18.10.11", 2, True)
    assert web.bases_at.tzinfo is not None and web.rtp_state in (1, 4)


def test_an_expired_session_is_opened_again(ksc_replay):
    ksc_replay.expire_after = 4
    hosts, _ = ksc.read_hosts(ksc_config(ksc_replay))
    assert len(hosts) == 15
    assert ksc_replay.calls.count("Session.StartSession") > 1


def test_a_wrong_password_is_401_and_the_password_is_not_shown(ksc_replay, monkeypatch):
    monkeypatch.setenv("TEST_KSC_PASSWORD", "wrong-pass-987")
    with pytest.raises(ksc.KscError, match=r"login refused for 'ops-reader' \(HTTP 401\)") as caught:
        ksc.read_hosts(ksc_config(ksc_replay))
    assert "wrong-pass-987" not in str(caught.value)


def test_a_truncated_answer_is_an_error(ksc_replay):
    ksc_replay.mode = "truncated"
    with pytest.raises(ksc.KscError, match="cut short|timed|no complete answer"):
        ksc.read_hosts(ksc_config(ksc_replay))


def test_a_slow_answer_times_out_within_the_limit(ksc_replay):
    ksc_replay.mode = "slow"
    started = time.monotonic()
    with pytest.raises(ksc.KscError, match="no complete answer within 1 s"):
        ksc.read_hosts(ksc_config(ksc_replay, timeout_seconds=1))
    assert time.monotonic() - started < 4


def test_a_10_mb_answer_is_refused_at_the_size_limit(ksc_replay):
    ksc_replay.mode = "huge"
    with pytest.raises(ksc.KscError, match="larger than the limit of 8388608 bytes"):
        ksc.read_hosts(ksc_config(ksc_replay))


def test_a_pin_mismatch_stops_before_the_login(ksc_replay):
    with pytest.raises(ksc.KscError, match="does not match the pinned one"):
        ksc.read_hosts(ksc_config(ksc_replay, pin_sha256="0" * 64))
    assert ksc_replay.calls == []


def test_a_ca_file_verifies_the_certificate(ksc_replay):
    hosts, _ = ksc.read_hosts(ksc_config(ksc_replay, pin_sha256="", ca_file=ksc_replay.cert_file))
    assert len(hosts) == 15


@pytest.mark.parametrize("field, value, message", [
    ("KLHST_WKS_RTP_STATE", "running", "field KLHST_WKS_RTP_STATE: expected an integer, got 'running'"),
    ("KLHST_WKS_RTP_AV_BASES_TIME", "2026-12-01", 'field KLHST_WKS_RTP_AV_BASES_TIME: expected {"type": "datetime"'),
    ("KLHST_WKS_DN", "", "field KLHST_WKS_DN (the host's name) is missing or empty"),
    ("KLHST_WKS_IP_LONG", {"type": "long", "value": -5}, "field KLHST_WKS_IP_LONG: expected an IPv4 address"),
])
def test_a_host_field_of_the_wrong_shape_names_the_field_and_the_host(ksc_replay, field, value, message):
    broken = ksc_replay.estate.hosts[4]
    broken[field] = value
    with pytest.raises(ksc.KscError, match="KSC host " + broken["KLHST_WKS_HOSTNAME"]) as caught:
        ksc.read_hosts(ksc_config(ksc_replay))
    assert message in str(caught.value)


def test_an_item_that_is_not_params_is_refused():
    with pytest.raises(ksc.KscError, match=r"KLCSP_ITERATOR_ARRAY\[1\] is not"):
        ksc.chunk_items({"pChunk": {"KLCSP_ITERATOR_ARRAY": [{"type": "params", "value": {}}, [1]]}}, "here")
    with pytest.raises(ksc.KscError, match="pChunk.KLCSP_ITERATOR_ARRAY is missing"):
        ksc.chunk_items({"PxgRetVal": 3}, "here")
