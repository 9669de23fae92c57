"""An inline sensor blocks: client -- Suricata 7 (af-packet copy-mode ips) -- a real HTTP server.

One Suricata for the module (console.lab.inline): a request whose URI a `drop` rule matches never reaches
the server and the client's connection fails, another request passes, and EVE says `blocked` for the
first and nothing for the second. Last, Suricata is stopped: af-packet IPS has nothing else joining the two
interfaces, so traffic stops (fails closed), as the ops_ids_sensor role's README says.
"""

from __future__ import annotations

import json
import time

import pytest

from console.lab.inline import InlinePath

pytestmark = pytest.mark.external  # Suricata 7 inline in network namespaces, Python's http.server

DROP_SID = 9190001
RULES = (f'drop http any any -> any any (msg:"OPS test blocked admin path"; flow:to_server,established; '
         f'http.uri; content:"/admin-blocked"; sid:{DROP_SID}; rev:1;)\n')


@pytest.fixture(scope="module")
def inline_path(tmp_path_factory):
    path = InlinePath(tmp_path_factory.mktemp("inline"))
    try:
        path.up()
        path.start_http_server()
        path.start_suricata(RULES)
        yield path
    finally:
        path.down()


def eve_alerts(path: InlinePath, wanted: int, seconds: float = 10) -> list[dict]:
    """The alert records of EVE, polled until there are `wanted` of them (or the time is up)."""
    deadline = time.monotonic() + seconds
    while True:
        lines = path.eve.read_text().splitlines() if path.eve.exists() else []
        alerts = [record for record in map(json.loads, lines) if record.get("event_type") == "alert"]
        if len(alerts) >= wanted or time.monotonic() > deadline:
            return alerts
        time.sleep(0.1)


def test_a_request_a_drop_rule_matches_never_reaches_the_server_and_another_passes(inline_path):
    allowed = inline_path.request("/index-allowed")
    blocked = inline_path.request("/admin-blocked", timeout=3)

    assert (allowed.returncode, allowed.stdout) == (0, "404")  # http.server answered (an empty folder)
    assert inline_path.server_saw("/index-allowed")
    assert blocked.returncode == 28, blocked  # curl: operation timed out, no answer came back
    assert not inline_path.server_saw("/admin-blocked")
    alerts = eve_alerts(inline_path, 1)
    assert [(a["alert"]["signature_id"], a["alert"]["action"], a["http"]["url"]) for a in alerts] == \
        [(DROP_SID, "blocked", "/admin-blocked")]


def test_with_suricata_stopped_af_packet_ips_fails_closed(inline_path):
    assert inline_path.request("/before-stop").stdout == "404"

    inline_path.stop_suricata()

    stopped = inline_path.request("/after-stop", timeout=2)
    assert stopped.returncode != 0 and stopped.stdout == "000"
    assert not inline_path.server_saw("/after-stop")
