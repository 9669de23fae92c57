"""An inline sensor blocks: client -- Suricata 7 (af-packet copy-mode ips) -- a real HTTP server, driven by the console.

One Suricata for the module (console.lab.inline), started with no rules; the console (SQLite) is its rule
manager: [rules] sensors names it (kind "local", mode "ips"), version 1 of the local rules (a drop rule on
one URI) is built, validated and deployed to it through its command socket. Then:

- a request the drop rule matches never reaches the server and the client's connection fails; another
  request passes; EVE says `blocked` for the first and nothing for the second, and the console stores and
  shows the alert as blocked;
- the one-click allow from that blocked group (the "alerts.allow" task: a pass rule, a new version, a deploy
  to the IPS sensors) lets the same request reach the server; the time from click to live is printed;
- on an inline path of its own (a Suricata with no rules), Suricata is stopped: af-packet IPS has nothing
  else joining the two interfaces, so traffic stops (fails closed), as the ops_ids_sensor role's defaults say.

The blocked request is made once (`blocked`), by whichever test needs it first, and what it gave is kept
for the test about it; the allow comes after it in either order.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from console import migrate
from console.access.actor import Actor
from console.alerts.ingest import ingest_files
from console.alerts.query import AlertFilter, list_groups
from console.db import make_engine, make_session_factory, session_scope
from console.lab.inline import InlinePath
from console.models import Role, Task, TaskState
from console.ruleset import operations, service
from console.settings import load_settings
from console.tasks import service as tasks
from console.tasks import work
from probes.collectors.sensor import SensorCollector
from rules.suricata_conf import write_offline_yaml

pytestmark = pytest.mark.external  # Suricata 7 inline in network namespaces, Python's http.server

ROOT = Path(__file__).resolve().parents[3]
DROP_SID = 9190001
RULES = (f'drop http any any -> any any (msg:"OPS test blocked admin path"; flow:to_server,established; '
         f'http.uri; content:"/admin-blocked"; sid:{DROP_SID}; rev:1;)\n')
OFFICER = Actor(username="olga", role=Role.security_officer, client_addr="198.18.0.12", user_id=None)


@pytest.fixture(scope="module")
def inline(tmp_path_factory):
    """(the inline path, the console's settings, its session factory), version 1 deployed to the sensor."""
    work_dir = tmp_path_factory.mktemp("inline")
    path = InlinePath(work_dir / "sensor")
    path.folder.mkdir()
    engine = None
    try:
        path.up()
        path.start_http_server()
        path.start_suricata("")
        settings = load_settings(_console_config(work_dir, path))
        engine = make_engine(settings.database_url)
        migrate.upgrade(engine)
        factory = make_session_factory(engine, settings)
        with session_scope(factory) as session:
            assert service.build_version(session, OFFICER, reason="inline test version 1").ok
        with session_scope(factory) as session:
            assert [r.ok for r in operations.deploy_active(session, OFFICER)] == [True]
        yield path, settings, factory
    finally:
        path.down()
        if engine is not None:
            engine.dispose()


def _console_config(work_dir: Path, path: InlinePath) -> Path:
    local, policy, tests_dir = work_dir / "local", work_dir / "policy", work_dir / "rule-tests"
    local.mkdir()
    tests_dir.mkdir()
    (local / "inline.rules").write_text(RULES)
    shutil.copytree(ROOT / "rules" / "policy", policy)
    shutil.copy(ROOT / "rules" / "threshold.config", work_dir / "threshold.config")
    (work_dir / "sources.yaml").write_text("sources: []\n")
    yaml_path = write_offline_yaml(work_dir / "suricata.yaml", "[198.18.252.0/30]")
    folder = path.folder
    config = work_dir / "ops.toml"
    config.write_text(
        '[console]\nsecret_key = "test-secret-key-not-for-production"\ndefault_locale = "en"\n'
        f'[database]\nurl = "sqlite:///{work_dir / "ops.db"}"\n[paths]\nvar_dir = "{work_dir / "var"}"\n'
        f'[inventory]\npath = "{ROOT / "inventory"}"\n'
        f'[rules]\nsources_file = "{work_dir / "sources.yaml"}"\npolicy_dir = "{policy}"\n'
        f'threshold_file = "{work_dir / "threshold.config"}"\nlocal_dir = "{local}"\ntests_dir = "{tests_dir}"\n'
        f'var_dir = "{work_dir / "rules-var"}"\nsuricata_yaml = "{yaml_path}"\n'
        f'sensors = [{{name = "inline", kind = "local", mode = "ips", rules_file = "{folder / "suricata.rules"}", '
        f'threshold_file = "{folder / "threshold.config"}", socket = "{folder / "suricata.socket"}", '
        f'version_file = "{folder / "version"}"}}]\n')
    return config


def eve_alerts(path: InlinePath, wanted: int, seconds: float = 10) -> list[dict]:
    """The alert records of EVE, polled until there are `wanted` of them (or the time is up)."""
    deadline = time.monotonic() + seconds
    while True:
        lines = path.eve.read_text().splitlines() if path.eve.exists() else []
        alerts = [record for record in map(json.loads, lines) if record.get("event_type") == "alert"]
        if len(alerts) >= wanted or time.monotonic() > deadline:
            return alerts
        time.sleep(0.1)


@pytest.fixture(scope="module")
def blocked(inline) -> dict:
    """A request the drop rule matches and one it does not, and what the server and EVE saw, ingested."""
    path, _settings, factory = inline
    allowed = path.request("/index-allowed")
    blocked = path.request("/admin-blocked", timeout=3)
    seen = {"allowed": allowed, "blocked": blocked, "server_saw_allowed": path.server_saw("/index-allowed"),
            "server_saw_blocked": path.server_saw("/admin-blocked"), "alerts": eve_alerts(path, 1)}
    ingest_files(factory, [path.eve], "inline", 500, 65536)
    return seen


def test_a_request_a_drop_rule_matches_never_reaches_the_server_and_another_passes(inline, blocked):
    _path, _settings, factory = inline
    allowed = blocked["allowed"]

    assert (allowed.returncode, allowed.stdout) == (0, "404")  # http.server answered (an empty folder)
    assert blocked["server_saw_allowed"]
    assert blocked["blocked"].returncode == 28, blocked  # curl: operation timed out, no answer came back
    assert not blocked["server_saw_blocked"]
    assert [(a["alert"]["signature_id"], a["alert"]["action"], a["http"]["url"]) for a in blocked["alerts"]] == \
        [(DROP_SID, "blocked", "/admin-blocked")]
    with factory() as session:
        [group] = list_groups(session, AlertFilter(status=None, action="blocked"))[0]
        assert (group.sid, group.count, group.blocked_count) == (DROP_SID, 1, 1)
        assert list_groups(session, AlertFilter(status=None, action="allowed"))[0] == []


def test_the_agents_sensor_collector_says_the_inline_suricata_blocks(inline):
    """What the agent on an IPS sensor reports (probes/collectors/sensor.py), read from this Suricata's socket."""
    path, _settings, _factory = inline
    status = SensorCollector(path.folder / "suricata.socket", path.eve).collect()
    assert status["running"] is True and status["source"] == "unix-socket"
    assert sorted(status["interfaces"]) == ["lan", "wan"]
    assert (status["capture_mode"], status["blocking"]) == ("AF_PACKET_DEV", True)


def test_one_click_allow_from_the_blocked_group_lets_the_same_request_through(inline, blocked):
    path, settings, factory = inline
    with factory() as session:
        [group] = list_groups(session, AlertFilter(status=None, action="blocked"))[0]
        group_id = group.id

    clicked = time.monotonic()
    with session_scope(factory) as session:
        task_id = tasks.submit(session, OFFICER, "alerts.allow", {"group": group_id, "scope": "source"}, settings).id
    ended = work.execute(settings, task_id, factory)
    live = time.monotonic() - clicked

    assert ended.state == TaskState.done, ended.error
    print(f"\none-click allow: click to live {live:.2f} s (build, suricata -T, deploy, reload-rules)")
    passed = path.request("/admin-blocked", timeout=3)
    assert (passed.returncode, passed.stdout) == (0, "404") and path.server_saw("/admin-blocked")
    with factory() as session:
        [group] = list_groups(session, AlertFilter(status=None, action="blocked"))[0]
        assert (group.fp_kind, group.fp_status) == ("allow", "live")
        assert group.fp_proposal.startswith("pass ip 198.18.252.1 any <> any any")
        assert session.get(Task, task_id).result["sensors"] == ["inline"]


@pytest.fixture
def bare_inline(tmp_path):
    """An inline path of its own, Suricata with no rules: stopping it leaves the module's path alone."""
    path = InlinePath(tmp_path / "sensor")
    path.folder.mkdir()
    try:
        path.up()
        path.start_http_server()
        path.start_suricata("")
        yield path
    finally:
        path.down()


def test_with_suricata_stopped_af_packet_ips_fails_closed(bare_inline):
    path = bare_inline
    assert path.request("/before-stop").stdout == "404"

    path.stop_suricata()

    stopped = path.request("/after-stop", timeout=2)
    assert stopped.returncode != 0 and stopped.stdout == "000"
    assert not path.server_saw("/after-stop")
