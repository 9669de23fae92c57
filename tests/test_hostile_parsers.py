"""Property tests on the parsers that face hostile input (issue 29): any input gives a clean result or the
documented error type carrying a location, never another exception.

| parser | input | clean result | documented error (location) |
|---|---|---|---|
| console.common.time.parse_local_time | text typed in a filter, a form, the API, the CLI | None or an aware UTC datetime inside the time window, shown in the console's zone without a raise | ValidationFailed (the field) |
| console.alerts.eve_parse.parse_line | one EVE line (bytes) | Parsed whose time is inside the window | Problem (kind; the ingest adds file:line) |
| console.agents.host_reports.parse_report | an agent report's body | probes.report.Report, collected_at inside the window | ReportRejected, 4xx (field where one is at fault) |
| rules.parse.parse_file | a rule file's bytes | ParsedFile: every problem and left-out line names file:line | (none raised) |
| console.inventory.reader.read_inventory | an inventory YAML file | Inventory | InventoryError (path, line where known) |
| console.settings.load_settings | ops.toml | Settings | ConfigError (path, key or line where known) |

Each test has a bounded example count (`settings(max_examples=...)`); the seed is random on every run
(derandomize off), so the suite keeps looking for new inputs. A failure prints the falsifying input and a
`@reproduce_failure(...)` line (print_blob). To run the same inputs again, pass Hypothesis' seed:

    .venv/bin/python -m pytest tests/test_hostile_parsers.py --hypothesis-seed=12345

(`--hypothesis-seed` fixes the random seed of every test in the run; `--hypothesis-show-statistics` shows
what was generated). Failing examples are also kept in .hypothesis/ and tried first on the next run.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from console.agents.enrolment import ReportRejected
from console.agents.host_reports import parse_report
from console.alerts.eve_parse import Parsed, Problem, parse_line
from console.common.time import DEFAULT_WINDOW, parse_local_time
from console.errors import ConfigError, InventoryError, ValidationFailed
from console.inventory.reader import Inventory, read_inventory
from console.settings import Settings, load_settings
from probes.report import Report
from rules.parse import ParsedFile, parse_file
from rules.sources import SourceFile

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")  # the console's default zone (+07:00): where year 1 and 9999 broke pages
BOUNDED = settings(max_examples=150, deadline=None, derandomize=False, print_blob=True,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
FILES = settings(BOUNDED, max_examples=60)

# Times as people and programs write them, at the edges of what datetime can hold, in every zone offset.
offsets = st.sampled_from(["", "Z", "+00:00", "+0000", "-12:00", "+14:00", "+07:00", "-00:30", "+23:59"])
extreme_datetimes = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59))
time_texts = st.one_of(
    st.builds(lambda d, off, date_only: (d.date().isoformat() if date_only else d.isoformat()) + off,
              extreme_datetimes, offsets, st.booleans()),
    st.sampled_from(["0001-01-01", "9999-12-31T23:59:59-12:00", "9999-12-31T23:59:59.000000+0000",
                     "0001-01-01T00:00:00+14:00", "1970-01-01", "2026-02-30", "24:00", "2026-11-25T08:00"]),
    st.text(max_size=40),
)


def _shown(value: datetime) -> str:
    """What a page does with a stored time; it must not raise (defects 1 and 3)."""
    return value.astimezone(ZONE).isoformat()


def _in_window(value: datetime) -> bool:
    """Inside the documented window (not before 2000, at most [console] max_future_hours ahead)."""
    return DEFAULT_WINDOW.bounds().holds(value)


@BOUNDED
@given(text=st.one_of(st.none(), time_texts))
def test_parse_local_time_gives_a_utc_time_or_names_the_field(text):
    try:
        value = parse_local_time(text, "since", ZONE)
    except ValidationFailed as exc:
        assert exc.field == "since" and exc.message
        return
    if value is not None:
        assert value.utcoffset().total_seconds() == 0 and _in_window(value)
        _shown(value)


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
                         st.floats(allow_nan=False), st.text(max_size=30))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=12)
addresses = st.one_of(st.ip_addresses().map(str), st.text(max_size=45), st.integers(), st.none())
eve_alerts = st.fixed_dictionaries({}, optional={
    "signature_id": st.one_of(st.integers(min_value=-2**64, max_value=2**64), json_scalars),
    "gid": st.one_of(st.integers(min_value=-5, max_value=2**40), json_scalars),
    "rev": st.one_of(st.integers(min_value=-5, max_value=2**40), json_scalars),
    "signature": st.text(max_size=300), "category": st.text(max_size=50),
    "severity": st.one_of(st.integers(min_value=-10, max_value=10), json_scalars),
    "action": st.one_of(st.sampled_from(["allowed", "blocked"]), st.text(max_size=10))})
eve_records = st.fixed_dictionaries({}, optional={
    "timestamp": time_texts, "event_type": st.one_of(st.sampled_from(["alert", "dns", "flow", "stats", "anomaly",
                                                                      "http", "tls"]), json_scalars),
    "src_ip": addresses, "dest_ip": addresses, "src_port": json_scalars, "dest_port": json_scalars,
    "proto": json_scalars, "flow_id": st.one_of(st.integers(min_value=-2**65, max_value=2**65), json_scalars),
    "host": st.one_of(st.text(max_size=20), st.just("\x00nul"), json_scalars), "alert": st.one_of(eve_alerts, json_values),
    "in_iface": json_values, "app_proto": json_values})


def _eve_bytes(record: dict, ensure_ascii: bool) -> bytes:
    return json.dumps(record, ensure_ascii=ensure_ascii).encode("utf-8", "surrogatepass")


eve_lines = st.one_of(st.binary(max_size=200),
                      st.builds(_eve_bytes, eve_records, st.booleans()),
                      st.builds(lambda value: json.dumps(value).encode(), json_values))


@BOUNDED
@given(line=eve_lines)
@example(line=b'{"timestamp": "9999-12-31T23:59:59.000000+0000", "event_type": "alert", "src_ip": "198.18.0.1", '
              b'"dest_ip": "198.18.0.2", "alert": {"signature_id": 1, "gid": 1, "rev": 1}}')
@example(line=b'{"timestamp": "0001-01-01T00:00:00+14:00", "event_type": "dns"}')
def test_an_eve_line_is_a_row_or_a_named_problem(line):
    result = parse_line(line, "sensor-1")
    assert isinstance(result, (Parsed, Problem))
    if isinstance(result, Problem):
        assert result.kind and isinstance(result.detail, str)
        return
    assert result.kind in ("alert", "context", "counted") and result.sensor
    assert result.event_at.tzinfo is not None and _in_window(result.event_at)
    _shown(result.event_at)


def _report(collected_at: str) -> dict:
    return {"schema_version": 1, "report_id": "0b5e0a4c-6a0b-4c51-9d2b-1b2c3d4e5f60", "host": "web-01",
            "agent_version": "1.0", "collected_at": collected_at, "interval_seconds": 300}


report_fields = ("schema_version", "report_id", "host", "agent_version", "collected_at", "interval_seconds",
                 "health", "antivirus", "firewall", "ups", "sensor", "sshd", "lynis", "updates", "errors")
report_bodies = st.one_of(
    st.binary(max_size=300),
    st.builds(lambda changes, removed, when: json.dumps(
        {**{k: v for k, v in _report(when).items() if k not in removed}, **changes},
        ensure_ascii=False).encode("utf-8", "surrogatepass"),
        st.dictionaries(st.sampled_from(report_fields), json_values, max_size=3),
        st.sets(st.sampled_from(report_fields), max_size=2), time_texts),
)


@BOUNDED
@given(body=report_bodies)
def test_an_agent_report_is_a_report_or_a_4xx_naming_what_is_wrong(body):
    try:
        report = parse_report(body)
    except ReportRejected as exc:
        assert 400 <= exc.http_status < 500 and exc.reason and str(exc)
        return
    assert isinstance(report, Report) and report.collected_at.tzinfo is not None and _in_window(report.collected_at)


rule_fragments = st.sampled_from([
    'alert tcp any any -> any 80 (msg:"x"; content:"abc"; sid:9100901; rev:1;)',
    'alert http $HOME_NET any -> any any (msg:"y"; flow:established; sid:1; rev:2;)',
    '# alert tcp any any -> any any (msg:"commented"; sid:9100902; rev:1;)',
    "drop ip any any -> any any (sid:abc;)", "alert tcp any any -> any 80 (msg:\"unterminated; sid:3;",
    "#", "\\", "alert", "sid:9100903;", "\x00", "\t", "(", ")", ";", '"', "\u202e", "\ufeff",
])
rule_lines = st.one_of(rule_fragments, st.lists(rule_fragments, min_size=1, max_size=4).map(" ".join),
                       st.text(max_size=60))
rule_files = st.one_of(
    st.binary(max_size=400),
    st.lists(rule_lines, max_size=8).map(lambda lines: "\n".join(lines).encode("utf-8", "surrogatepass")),
    st.lists(st.one_of(rule_lines.map(lambda t: t.encode("utf-8", "surrogatepass")), st.binary(max_size=20)),
             max_size=6).map(b"\n".join),
)


@BOUNDED
@given(content=rule_files)
@example(content=b'alert tcp any any -> any 80 (msg:"big"; content:"' + b"a" * 65_600 + b'"; sid:9800002; rev:1;)')
def test_a_rule_file_is_rules_and_problems_that_name_file_and_line(content):
    result = parse_file(SourceFile("hostile", "hostile/test.rules", content))
    assert isinstance(result, ParsedFile)
    lines = content.count(b"\n") + 1
    assert len(result.problems) == len(result.left_out)
    for problem, entry in zip(result.problems, result.left_out):
        assert problem.startswith(f"hostile/test.rules:{entry['line']}: ")
        assert 1 <= entry["line"] <= lines and entry["kind"] in ("encoding", "refused")
    for rule in result.rules:
        assert 1 <= rule["ops_line"] <= lines and rule["sid"] is not None


yaml_keys = st.one_of(st.sampled_from(["all", "hosts", "children", "vars", "units", "roles", "ansible_host",
                                       "ops_priority", "web-01", "web-02", "role_web", "unit_it"]), st.text(max_size=8))
yaml_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=15),
              st.sampled_from(["198.18.0.10", "198.18.0.10", "not-an-address", "::1"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(yaml_keys, inner, max_size=4)),
    max_leaves=20)
inventory_texts = st.one_of(
    st.builds(lambda tree: yaml.safe_dump({"all": tree}, allow_unicode=True), yaml_values),
    st.builds(lambda tree: yaml.safe_dump(tree, allow_unicode=True), yaml_values),
    st.text(max_size=200),
    st.sampled_from(["a: &x [*x]", "a: !!python/object:os.system ls", "[", "all:\n  hosts:\n    h: {ansible_host: 1}",
                     "all:\n  children:\n    a: {children: {b: {children: {a: {}}}}}", "\ufeffall: {}"]),
)


@FILES
@given(text=inventory_texts)
def test_an_inventory_is_read_or_refused_naming_the_file(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("inventory") / "hosts.yml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        inventory = read_inventory(path)
    except InventoryError as exc:
        assert str(exc.path).startswith(str(path.parent)) and exc.message
        assert exc.line is None or isinstance(exc.line, int)
        return
    assert isinstance(inventory, Inventory)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(value)  # a TOML basic string (a lone surrogate's \\ud800 is not TOML: a parse error)


toml_keys = {
    "console": ["port", "host", "workers", "threads", "default_locale", "timezone", "secret_key", "proxy_count"],
    "security": ["api_token_days", "max_tokens_per_user", "min_password_length", "lockout_attempts"],
    "database": ["url"], "paths": ["var_dir"], "inventory": ["path"],
    "alerts": ["retention_days", "max_line_bytes", "batch_size"],
    "rules": ["update_at", "sources_file", "max_source_bytes", "test_home_net"],
    "agent": ["interval_seconds", "console_url"], "notify": ["throttle_minutes"], "nonsense": ["key"],
}
toml_scalars = st.one_of(st.integers(min_value=-2**70, max_value=2**70), st.booleans(), st.text(max_size=20),
                         st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(["", "Asia/Nowhere", "../../"]))
toml_sections = st.sampled_from(sorted(toml_keys)).flatmap(lambda section: st.tuples(
    st.just(section), st.dictionaries(st.sampled_from(toml_keys[section]),
                                      st.one_of(toml_scalars, st.lists(toml_scalars, max_size=3)), max_size=3)))
toml_texts = st.one_of(
    st.lists(toml_sections, max_size=4).map(lambda sections: "\n".join(
        f"[{name}]\n" + "".join(f"{key} = {_toml_value(value)}\n" for key, value in keys.items())
        for name, keys in sections)),
    st.text(max_size=200),
    st.sampled_from(["[console\n", "[console]\nport = 1\nport = 2\n", "[[devices]]\nname = 1\n", "a = \"\\ud800\"\n"]),
)


@FILES
@given(text=toml_texts)
def test_ops_toml_is_settings_or_a_config_error_naming_the_file(tmp_path_factory, text):
    folder = tmp_path_factory.mktemp("config")
    path = folder / "ops.toml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        loaded = load_settings(path, environ={})
    except ConfigError as exc:
        assert str(exc).startswith(str(path)) and exc.message
        return
    assert isinstance(loaded, Settings)


@pytest.mark.parametrize("text", ["0001-01-01", "9999-12-31T23:59:59-12:00"])
def test_the_extreme_dates_of_issue_29_are_refused_or_shown(text):
    """The two dates the issue names, pinned, whatever the random seed draws."""
    test_parse_local_time_gives_a_utc_time_or_names_the_field.hypothesis.inner_test(text)


def test_a_times_shown_conversion_holds_at_the_edge_of_datetime():
    assert _shown(datetime(2026, 1, 1, tzinfo=timezone.utc)).startswith("2026-01-01T07:00")
