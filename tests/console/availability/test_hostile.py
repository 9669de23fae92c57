"""Every remote answer is hostile: a server speaking garbage, closing at once or never answering gives each check a
failed result with a short reason, never an exception; fping's output and the [availability] tables are parsed
to a clean result or the documented error (property tests, bounded)."""

from __future__ import annotations

import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.availability.checks import run_check
from console.availability.checks.icmp import parse
from console.availability.config import AvailabilitySettings, CheckConfig
from console.availability.maintenance import windows_between
from console.errors import ConfigError
from console.settings import load_settings

BOUNDED = settings(max_examples=150, deadline=None, derandomize=False, print_blob=True,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# Port 7001: random bytes then close; 7002: closes at once; 7003: accepts and says nothing; 7004: an endless header.
HOSTILE = r'''
import os, socket, threading
def serve(port, handle):
    server = socket.socket(); server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("0.0.0.0", port)); server.listen(50)
    def loop():
        while True:
            conn, _ = server.accept()
            threading.Thread(target=handle, args=(conn,), daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()
def garbage(conn):
    try:
        conn.recv(4096); conn.sendall(os.urandom(3000)); conn.close()
    except OSError: pass
def silent(conn):
    try:
        while conn.recv(4096):  # says nothing, until the check gives up and closes
            pass
    except OSError: pass
def endless(conn):
    try:
        conn.recv(4096); conn.sendall(b"HTTP/1.1 200 OK\r\nX-A: ")
        while True:
            conn.sendall(b"a" * 65536)
    except OSError: pass
serve(7001, garbage); serve(7002, lambda conn: conn.close()); serve(7003, silent); serve(7004, endless)
print("ready", flush=True)
threading.Event().wait()
'''
SETTINGS = AvailabilitySettings(max_body_bytes=4096)


@pytest.fixture(scope="module")
def hostile(module_service_net):
    module_service_net.start([sys.executable, "-c", HOSTILE])
    return module_service_net.address


@pytest.mark.parametrize("port", [7001, 7002, 7003, 7004])
@pytest.mark.parametrize("kind", ["http", "tls", "dns"])
def test_a_hostile_server_fails_the_check_with_a_reason_and_in_time(hostile, kind, port):
    import time

    keys = {"http": {"url": f"http://{hostile}:{port}/"}, "tls": {"host": hostile, "port": port},
            "dns": {"server": hostile, "port": port, "record": "portal.example.test", "expect": ["198.18.0.80"]}}
    check = CheckConfig(name="x", kind=kind, timeout_seconds=1.5, **keys[kind])
    started = time.monotonic()
    result = run_check(check, SETTINGS)
    assert result.outcome == "fail" and result.detail and len(result.detail) <= 300
    assert "check error" not in result.detail  # a reason of its own, not the last-resort catch
    assert time.monotonic() - started < 5


@BOUNDED
@given(st.text(max_size=400), st.integers(min_value=1, max_value=20))
def test_fping_output_parses_to_a_result_or_none(text, count):
    parsed = parse(text, count)
    assert parsed is None or (0 <= parsed[1] <= 100 and (parsed[0] is None or parsed[0] >= 0))


KEYS = st.sampled_from(["name", "kind", "url", "host", "port", "interval_seconds", "depends_on", "expect",
                        "server", "record", "timeout_seconds", "failures_before_down", "nonsense"])
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
VALUES = st.one_of(TEXT, st.integers(min_value=-10**6, max_value=10**6), st.booleans(), st.lists(TEXT, max_size=3))


def _table(header: str, values: dict) -> str:
    """A TOML table: JSON's strings, numbers, booleans and arrays are TOML's too."""
    import json

    return "\n".join([header] + [f"{key} = {json.dumps(value)}" for key, value in values.items()]) + "\n"


@BOUNDED
@given(st.dictionaries(KEYS, VALUES, max_size=6), st.dictionaries(KEYS, VALUES, max_size=6))
def test_any_availability_tables_load_or_name_their_line(tmp_path, service, check):
    path = tmp_path / "ops.toml"
    path.write_text(_table("[[availability.services]]", service) + _table("[[availability.services.checks]]", check),
                    encoding="utf-8")
    try:
        load_settings(path)
    except ConfigError as exc:
        assert str(exc).startswith(f"{path}:") and "availability" in str(exc)


def test_a_weekly_window_covers_its_weekday_in_the_console_zone():
    from datetime import datetime, timezone

    from console.availability.config import MaintenanceConfig

    window = MaintenanceConfig(services=["*"], weekdays=["sun"], at="02:00", minutes=60)

    class Settings:
        class console:
            timezone = "Asia/Ho_Chi_Minh"

        class availability:
            maintenance = [window]

    # November 2026 has five Sundays (1, 8, 15, 22, 29): 02:00-03:00 in Hanoi is 19:00-20:00 UTC the day before
    spans = windows_between(Settings, "portal", datetime(2026, 10, 31, 17, tzinfo=timezone.utc),
                            datetime(2026, 11, 30, 17, tzinfo=timezone.utc))
    assert [opens.isoformat() for opens, _ in spans] == [
        f"2026-{month}-{day}T19:00:00+00:00" for month, day in (("10", "31"), ("11", "07"), ("11", "14"),
                                                                 ("11", "21"), ("11", "28"))]
    assert all((closes - opens).total_seconds() == 3600 for opens, closes in spans)
