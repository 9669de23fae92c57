"""The outage rules against real servers: a parent down takes its 3 dependents with it in ONE message; its return
is announced with the outage's duration; a maintenance window silences all of it; certificates near expiry are
announced once per step. The clock is a parameter (`now`): rounds are minutes apart without waiting."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from console.availability import runner
from console.availability.states import shown_states
from console.db import session_scope
from console.models.availability import AvailabilityOutage, AvailabilityResult
from console.models.notify import NotifyDelivery
from tests.console.availability.servers import HOST, PORTS
from tests.fixtures.notify_config import syslog_rule

T0 = datetime(2026, 12, 7, 1, 0, tzinfo=timezone.utc)  # 08:00 in Hanoi
NOTIFY = syslog_rule(throttle_minutes=0, console_url="https://ops.example.test")
DROP_ALL = "table inet t {\n chain input {\n  type filter hook input priority 0;\n  tcp dport { 80, 443 } drop\n }\n}\n"


def services(address: str, ca) -> str:
    text = f"""
[availability]
failures_before_down = 2

[[availability.services]]
name = "proxy"
label = "Reverse proxy"
unit = "unit_it_centre"

[[availability.services.checks]]
name = "port"
kind = "tcp"
host = "{address}"
port = 80
timeout_seconds = 1
"""
    for name in ("portal", "one-stop", "land-db"):
        text += f"""
[[availability.services]]
name = "{name}"
depends_on = ["proxy"]
system = "system_land_procedures"

[[availability.services.checks]]
name = "home"
kind = "http"
url = "http://{address}/"
expect_text = "dịch vụ công"
timeout_seconds = 1
"""
    text += f"""
[[availability.services]]
name = "cert"

[[availability.services.checks]]
name = "tls"
kind = "tls"
host = "{address}"
port = {PORTS["expiring"]}
server_name = "{HOST}"
ca_file = "{ca}"
failures_before_down = 1
"""
    return text


@pytest.fixture
def config_file(config_file, servers):
    net, ca = servers
    config_file.write_text(config_file.read_text() + NOTIFY + services(net.address, ca))
    return config_file


def messages(factory) -> list[NotifyDelivery]:
    with session_scope(factory) as session:
        return list(session.scalars(select(NotifyDelivery).order_by(NotifyDelivery.id)))


def states(factory, settings, now) -> dict:
    with session_scope(factory) as session:
        return {name: state[:2] for name, state in shown_states(session, settings, now).items()}


def test_a_parent_down_takes_3_dependents_with_it_in_one_message_and_its_return_tells_the_duration(
        session_factory, settings, servers):
    net, _ = servers
    assert runner.run_due(session_factory, settings, T0) == 5
    assert set(states(session_factory, settings, T0).values()) == {("up", ""), ("degraded", "")}
    assert [m.kind for m in messages(session_factory)] == ["certificate.expiring"]  # 5 days: the 7-day step
    assert runner.run_due(session_factory, settings, T0 + timedelta(seconds=30)) == 0  # nothing due yet

    net.nft(DROP_ALL)
    try:
        runner.run_due(session_factory, settings, T0 + timedelta(minutes=1))  # one failure each: not down yet
        assert states(session_factory, settings, T0)["proxy"] == ("degraded", "")
        assert len(messages(session_factory)) == 1
        down_at = T0 + timedelta(minutes=2)
        runner.run_due(session_factory, settings, down_at)
    finally:
        net.nft("flush ruleset")
    shown = states(session_factory, settings, down_at)
    assert shown["proxy"] == ("down", "")
    assert {shown[name] for name in ("portal", "one-stop", "land-db")} == {("unreachable", "service:proxy")}
    sent = messages(session_factory)[1:]
    assert [m.kind for m in sent] == ["service.down"]  # one message, not one per service
    assert sent[0].subject == "[high] Service Reverse proxy is down"
    for name in ("portal", "one-stop", "land-db"):
        assert f"- Unreachable because of it: {name}" in sent[0].body

    back_at = down_at + timedelta(minutes=47)
    runner.run_due(session_factory, settings, back_at)
    assert set(states(session_factory, settings, back_at).values()) <= {("up", ""), ("degraded", "")}
    back = messages(session_factory)[2:]
    assert [m.kind for m in back] == ["service.up"]
    assert "after 0 h 47 min down" in back[0].body
    with session_scope(session_factory) as session:
        outages = {(o.service, o.cause, o.ended_at - o.started_at) for o in session.scalars(select(AvailabilityOutage))}
        assert outages == {("proxy", "self", timedelta(minutes=47))} | {
            (name, "service:proxy", timedelta(minutes=47)) for name in ("portal", "one-stop", "land-db")}
        assert session.scalar(select(func.count()).select_from(AvailabilityResult)) == 20  # raw: 4 rounds of 5


def test_in_a_maintenance_window_nothing_is_announced_and_the_services_show_maintenance(
        config_file, session_factory, servers):
    from console.settings import load_settings

    net, _ = servers
    config_file.write_text(config_file.read_text() + '\n[[availability.maintenance]]\nservices = ["*"]\n'
                           'reason = "máy chủ nâng cấp"\nstarts = 2026-12-07T08:30:00\nends = 2026-12-07T09:30:00\n')
    settings = load_settings(config_file)
    in_window = T0 + timedelta(minutes=40)  # 08:40 in the console's zone
    net.nft(DROP_ALL)
    try:
        for minutes in (0, 1, 2):
            runner.run_due(session_factory, settings, in_window + timedelta(minutes=minutes))
    finally:
        net.nft("flush ruleset")
    assert set(states(session_factory, settings, in_window).values()) == {("maintenance", "")}
    assert messages(session_factory) == []  # not even the certificate step
    with session_scope(session_factory) as session:
        assert session.scalars(select(AvailabilityOutage)).all() == []


def test_an_expired_certificate_is_announced_once_as_expired(config_file, session_factory, servers):
    from console.settings import load_settings

    config_file.write_text(config_file.read_text().replace(f'port = {PORTS["expiring"]}', f'port = {PORTS["expired"]}'))
    settings = load_settings(config_file)
    for minutes in (0, 1, 2):
        runner.run_due(session_factory, settings, T0 + timedelta(minutes=minutes))
    expired = [m for m in messages(session_factory) if m.kind.startswith("certificate.")]
    assert [m.kind for m in expired] == ["certificate.expired"]
    assert expired[0].subject == "[high] Certificate of cert has expired"
    assert [m.kind for m in messages(session_factory) if m.kind == "service.down"] == ["service.down"]


def test_services_behind_a_down_uplink_are_unreachable_in_one_message_per_uplink(config_file, servers, monkeypatch):
    """The uplink's state comes from the devices area (test_uplinks.py reads it from a poll); here the test answers
    for it through availability.uplinks.register, the services' own checks fail for real (their namespace drops
    them)."""
    from console.availability import config as availability_config, uplinks
    from console.db import make_engine, make_session_factory
    from console.migrate import upgrade
    from console.settings import load_settings

    net, _ = servers
    monkeypatch.setattr(availability_config, "configured_uplinks", lambda settings: {"isp-a"})  # a [[devices]] uplink's name
    text = config_file.read_text()
    config_file.write_text(text.replace('name = "proxy"\nlabel = "Reverse proxy"',
                                        'name = "proxy"\nlabel = "Reverse proxy"\ndepends_on = ["uplink:isp-a"]'))
    settings = load_settings(config_file).model_copy()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    factory = make_session_factory(engine, settings)
    monkeypatch.setattr(uplinks, "_resolver", [])  # the registration ends with the test
    uplinks.register(lambda session, name: name == "isp-a")
    net.nft(DROP_ALL)
    try:
        for minutes in (0, 1):
            runner.run_due(factory, settings, T0 + timedelta(minutes=minutes))
        shown = states(factory, settings, T0)
        told = [m for m in messages(factory) if m.kind.startswith("service.")]
    finally:
        net.nft("flush ruleset")
        uplinks._resolver.clear()
        engine.dispose()
    assert {shown[name] for name in ("proxy", "portal", "one-stop", "land-db")} == {("unreachable", "uplink:isp-a")}
    assert [m.kind for m in told] == ["service.unreachable"]
    assert told[0].subject == "[high] 4 services unreachable: isp-a down"


def test_results_older_than_the_raw_retention_are_rolled_up_per_hour(session_factory, settings, servers):
    from console.models.availability import AvailabilityHourly

    start = T0 - timedelta(days=40)
    for minutes in (0, 1, 2, 61):  # three rounds in one hour, one in the next
        runner.run_due(session_factory, settings, start + timedelta(minutes=minutes))
    with session_scope(session_factory) as session:
        assert session.scalar(select(func.count()).select_from(AvailabilityResult)) == 20
        assert runner.prune(session, settings, T0, batch=7) == 7  # a round removes at most its batch
    with session_scope(session_factory) as session:
        while runner.prune(session, settings, T0, batch=7):
            pass
    with session_scope(session_factory) as session:
        assert session.scalar(select(func.count()).select_from(AvailabilityResult)) == 0
        rows = {(row.service, row.hour): row for row in session.scalars(select(AvailabilityHourly))}
    first, second = start.replace(minute=0), start.replace(minute=0) + timedelta(hours=1)
    assert (rows[("proxy", first)].runs, rows[("proxy", second)].runs) == (3, 1)
    assert rows[("cert", first)].degraded == 3 and rows[("proxy", first)].failures == 0
    assert rows[("portal", first)].response_ms_count == 3 and rows[("portal", first)].response_ms_max > 0


def test_a_dependent_still_down_when_its_parent_is_back_is_announced_on_its_own(session_factory, settings, servers):
    net, _ = servers
    only_443 = "table inet t {\n chain input {\n  type filter hook input priority 0;\n  tcp dport 443 drop\n }\n}\n"
    runner.run_due(session_factory, settings, T0)
    net.nft(DROP_ALL)
    try:
        for minutes in (1, 2):
            runner.run_due(session_factory, settings, T0 + timedelta(minutes=minutes))
        net.nft("flush ruleset")
        net.nft(only_443)  # the proxy (port 80) is back; the portal's own check now targets 443
        settings = settings.model_copy(update={"availability": settings.availability.model_copy(update={
            "services": [s.model_copy(update={"checks": [s.checks[0].model_copy(update={
                "url": s.checks[0].url.replace("http://", "https://")})]})
                if s.name == "portal" else s for s in settings.availability.services]})})
        runner.run_due(session_factory, settings, T0 + timedelta(minutes=30))
        runner.run_due(session_factory, settings, T0 + timedelta(minutes=31))
    finally:
        net.nft("flush ruleset")
    shown = states(session_factory, settings, T0)
    assert (shown["proxy"], shown["portal"], shown["land-db"]) == (("up", ""), ("down", ""), ("up", ""))
    told = [(m.kind, m.subject) for m in messages(session_factory) if m.kind.startswith("service.")]
    assert told == [("service.down", "[high] Service Reverse proxy is down"),
                    ("service.up", "[informational] Service Reverse proxy is back up"),
                    ("service.down", "[high] Service portal is down")]
