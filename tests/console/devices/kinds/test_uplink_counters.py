"""Uplink rates from successive IF-MIB readings: 64-bit wraps counted, resets never turned into a huge rate."""

from __future__ import annotations

from console.devices.kinds.uplink import carrier, counter_delta, parse_fping, rates

WRAP = 2**64


def reading(in_octets, out_octets=0, uptime=100_000, discontinuity=0, errors=0, speed=1000):
    return {"in_octets": in_octets, "out_octets": out_octets, "sys_uptime_cs": uptime,
            "discontinuity_cs": discontinuity, "in_errors": errors, "out_errors": 0, "speed_mbps": speed}


def test_a_counter_that_grew_gives_the_difference_and_one_that_wrapped_counts_across_the_wrap():
    assert counter_delta(1_000, 6_000) == 5_000
    assert counter_delta(WRAP - 1_000, 4_000) == 5_000
    assert counter_delta(2**32 - 10, 5, bits=32) == 15
    assert counter_delta(None, 5) is None
    assert counter_delta(10, 20, restarted=True) is None


def test_rate_in_bits_per_second_across_a_64_bit_wrap():
    found = rates(reading(WRAP - 750_000, 100), reading(500_000, 100 + 1_250_000, uptime=106_000), 60)
    assert (found["in_bps"], found["out_bps"], found["counter_reset"]) == (166_667, 166_667, False)


def test_an_agent_restart_is_a_reset_with_no_rate():
    found = rates(reading(9_000_000_000, errors=50), reading(1_000, errors=0, uptime=500), 60)
    assert (found["in_bps"], found["in_errors_delta"], found["counter_reset"]) == (None, None, True)


def test_a_counter_discontinuity_is_a_reset_with_no_rate():
    found = rates(reading(9_000_000), reading(9_500_000, uptime=106_000, discontinuity=105_000), 60)
    assert (found["in_bps"], found["counter_reset"]) == (None, True)


def test_a_drop_that_would_be_faster_than_the_line_is_a_reset_not_a_wrap():
    """A counter set back to a small value with the agent still up: as a wrap it would be 2.4e18 bit/s."""
    found = rates(reading(9_000_000_000), reading(1_000, uptime=106_000), 60)
    assert (found["in_bps"], found["counter_reset"]) == (None, True)


def test_errors_since_the_last_poll_and_no_rate_on_the_first_poll():
    found = rates(reading(0, errors=7), reading(0, uptime=106_000, errors=19), 60)
    assert found["in_errors_delta"] == 12
    assert rates(None, reading(0), 0)["in_bps"] is None


def test_the_carrier_is_the_only_uplink_up_or_the_busy_one_and_none_while_all_idle():
    up_busy = {"oper_status": "up", "in_bps": 5_000_000, "out_bps": 1_000_000}
    up_idle = {"oper_status": "up", "in_bps": 100, "out_bps": 0}
    down = {"oper_status": "lowerLayerDown", "in_bps": 0, "out_bps": 0}
    assert carrier([("a", up_idle), ("b", up_busy)], 8000) == "b"
    assert carrier([("a", down), ("b", up_idle)], 8000) == "b"
    assert carrier([("a", up_idle), ("b", up_idle)], 8000) is None
    assert carrier([("a", None), ("b", down)], 8000) is None


def test_fping_summary_gives_the_mean_round_trip_and_the_loss():
    assert parse_fping("198.18.1.2 : 0.41 0.39 - 0.40\n", 4) == {"rtt_ms": 0.4, "loss_percent": 25.0}
    assert parse_fping("198.18.1.2 : - - -\n", 3) == {"rtt_ms": None, "loss_percent": 100.0}
    assert parse_fping("198.18.1.2: error while sending ping: No route to host\n", 3)["loss_percent"] is None
