"""Each check kind against real servers in a namespace of the test's own: Python's ssl HTTPS servers with certificates
made here, Debian's dnsmasq serving a test zone, a closed and an open TCP port, fping to an address that answers and
to one whose namespace drops echo requests with nftables."""

from __future__ import annotations

import pytest

from console.availability.checks import run_check
from console.availability.checks.icmp import parse
from console.availability.config import AvailabilitySettings, CheckConfig
from tests.console.availability.servers import HOST, PORTS, start_dnsmasq

SETTINGS = AvailabilitySettings(max_body_bytes=65536)


def tls(net, ca, port, **extra) -> CheckConfig:
    return CheckConfig(name="cert", kind="tls", host=net.address, port=port, server_name=HOST, ca_file=ca,
                       timeout_seconds=5, **extra)


def test_tls_valid_certificate_is_ok_with_the_leaf_days_left_and_protocol(servers):
    net, ca = servers
    result = run_check(tls(net, ca, 443), SETTINGS)
    assert result.outcome == "ok", result.detail
    assert result.facts["certificate_days_left"] == 89 and result.facts["tls_version"] == "TLSv1.3"


def test_tls_certificate_expiring_in_5_days_is_degraded_with_its_days(servers):
    net, ca = servers
    result = run_check(tls(net, ca, PORTS["expiring"]), SETTINGS)
    assert (result.outcome, result.facts["certificate_days_left"]) == ("degraded", 5)
    assert result.detail == "certificate expires in 5 days"


def test_tls_expired_certificate_fails_and_still_shows_how_long_ago(servers):
    net, ca = servers
    result = run_check(tls(net, ca, PORTS["expired"]), SETTINGS)
    assert (result.outcome, result.detail) == ("fail", "certificate expired")
    assert result.facts["certificate_days_left"] == -4


def test_tls_certificate_for_another_name_fails_naming_the_name(servers):
    net, ca = servers
    result = run_check(tls(net, ca, PORTS["wrong-name"]), SETTINGS)
    assert result.outcome == "fail" and result.detail.startswith(f"certificate not valid for {HOST}")


def test_tls_chain_from_an_untrusted_ca_fails_but_trusting_that_ca_file_passes(servers, pki):
    net, ca = servers
    result = run_check(tls(net, ca, PORTS["untrusted"]), SETTINGS)
    assert result.outcome == "fail" and result.detail.startswith("certificate not trusted")
    assert result.facts["certificate_days_left"] == 89
    system_store = run_check(tls(net, None, 443), SETTINGS)  # our test root is in no system store
    assert system_store.outcome == "fail" and "not trusted" in system_store.detail


def test_tls_days_are_the_leafs_not_the_earliest_of_the_chain(servers):
    net, ca = servers
    result = run_check(tls(net, ca, PORTS["short-leaf"]), SETTINGS)
    # leaf: 20 days; intermediate: 400; root: 3650
    assert (result.outcome, result.facts["certificate_days_left"]) == ("degraded", 20)
    assert run_check(tls(net, ca, PORTS["short-leaf"]),
                     AvailabilitySettings(certificate_warn_days=[14, 7])).outcome == "ok"


def test_tls_older_protocol_than_the_minimum_fails(servers):
    net, ca = servers
    assert run_check(tls(net, ca, PORTS["tls12-only"]), SETTINGS).facts["tls_version"] == "TLSv1.2"
    result = run_check(tls(net, ca, PORTS["tls12-only"], min_tls_version="TLSv1.3"), SETTINGS)
    assert result.outcome == "fail" and "TLSv1.3" in result.detail


def http(net, ca, path="/", **extra) -> CheckConfig:
    scheme_host = f"https://{net.address}" if ca else f"http://{net.address}"
    return CheckConfig(name="home", kind="http", url=scheme_host + path, ca_file=ca, timeout_seconds=2, **extra)


def test_http_status_and_vietnamese_text_over_plain_http(servers):
    net, _ = servers
    result = run_check(http(net, None, expect_text="dịch vụ công"), SETTINGS)
    assert result.outcome == "ok" and result.facts["status_code"] == 200 and result.response_ms > 0
    missing = run_check(http(net, None, expect_text="Bảo trì"), SETTINGS)
    assert missing.outcome == "fail" and "does not contain 'Bảo trì'" in missing.detail
    error = run_check(http(net, None, "/error"), SETTINGS)
    assert (error.outcome, error.detail) == ("fail", "status 500 (expected 200)")


def test_https_verifies_the_certificate_against_the_ca_file(servers):
    net, ca = servers
    # the certificate names portal.example.test; the URL's address is not that name
    result = run_check(http(net, ca), SETTINGS)
    assert result.outcome == "fail" and "cannot connect" in result.detail


def test_http_slow_dripping_and_huge_answers_are_bounded(servers):
    import time

    net, _ = servers
    slow = run_check(http(net, None, "/slow"), SETTINGS)
    assert slow.outcome == "fail" and "within 2 s" in slow.detail
    started = time.monotonic()
    drip = run_check(http(net, None, "/drip", expect_text="y"), SETTINGS)
    assert drip.outcome == "fail" and "not complete within 2 s" in drip.detail
    assert time.monotonic() - started < 4
    big = run_check(http(net, None, "/big", expect_text="x"), SETTINGS)
    assert big.outcome == "ok"  # read up to max_body_bytes only, then judged
    slow_ok = run_check(http(net, None, "/slow", max_response_ms=1000).model_copy(update={"timeout_seconds": 6}),
                        SETTINGS)
    assert slow_ok.outcome == "degraded" and slow_ok.response_ms >= 3000


def test_tcp_open_and_closed_ports(servers):
    net, _ = servers
    assert run_check(CheckConfig(name="p", kind="tcp", host=net.address, port=443), SETTINGS).outcome == "ok"
    closed = run_check(CheckConfig(name="p", kind="tcp", host=net.address, port=9), SETTINGS)
    assert closed.outcome == "fail" and closed.detail == f"connection refused by {net.address}:9"


def test_dns_record_resolves_to_the_expected_answer_through_dnsmasq(service_net):
    net = service_net()
    start_dnsmasq(net, ["--local=/example.test/", f"--host-record={HOST},198.18.0.80",
                        "--txt-record=example.test,v=ops-test"])

    def dns(record, expect, record_type="A"):
        return run_check(CheckConfig(name="d", kind="dns", server=net.address, record=record,
                                     record_type=record_type, expect=expect, timeout_seconds=2), SETTINGS)

    good = dns(HOST, ["198.18.0.80"])
    assert good.outcome == "ok" and good.facts["answers"] == ["198.18.0.80"]
    assert dns("example.test", ["v=ops-test"], "TXT").outcome == "ok"
    wrong = dns(HOST, ["198.18.0.81"])
    assert wrong.outcome == "fail" and wrong.detail == f"{HOST} A is 198.18.0.80, not 198.18.0.81"
    nothing = dns("missing.example.test", ["198.18.0.80"])
    assert nothing.outcome == "fail" and nothing.detail == f"{net.address} answered NXDOMAIN for missing.example.test"
    silent = run_check(CheckConfig(name="d", kind="dns", server=net.root_address, port=5399, record=HOST,
                                   expect=["198.18.0.80"], timeout_seconds=1), SETTINGS)
    assert silent.outcome == "fail"


def test_icmp_rtt_and_loss_from_fping_and_total_loss_behind_nftables(service_net):
    net = service_net()
    result = run_check(CheckConfig(name="ping", kind="icmp", host=net.address, count=3, timeout_seconds=2),
                       SETTINGS)
    assert result.outcome == "ok" and result.facts["loss_percent"] == 0 and result.facts["rtt_ms"] > 0
    net.nft("table inet t {\n chain input {\n  type filter hook input priority 0;\n  icmp type echo-request drop\n }\n}\n")
    dropped = run_check(CheckConfig(name="ping", kind="icmp", host=net.address, count=3, timeout_seconds=1),
                        SETTINGS)
    assert (dropped.outcome, dropped.facts["loss_percent"]) == ("fail", 100.0)
    assert dropped.detail == "no answer to 3 echo requests"


def test_fping_output_is_parsed_strictly():
    assert parse("198.18.0.1 : 0.05 - 0.07\n", 3) == (0.06, 33.3)
    assert parse("198.18.0.1 : - - -\n", 3) == (None, 100.0)
    assert parse("198.18.0.1 : 0.05 0.07\n", 3) is None  # fewer samples than asked: not trusted
    assert parse("garbage \x00 : ;rm -rf\n", 3) is None
