"""Rule tests: a YAML spec of traffic per sid, turned into a pcap, run through real Suricata.

A spec (rules/tests/*.yaml) names a sid and its cases; each case is traffic
the rule must alert on (`expect: alert`) or must not (`expect: no_alert`):

    sid: 9100001
    cases:
      - name: admin page asked from outside
        expect: alert
        flow: {proto: tcp, client: 198.18.10.150, server: 198.18.10.20, port: 80}
        repeat: 1                       # the same conversation N times (thresholds)
        payloads:
          - {from: client, data: "GET /landdb/admin/ HTTP/1.1\\r\\nHost: landdb\\r\\n\\r\\n"}
          - {from: server, data: "HTTP/1.1 200 OK\\r\\nContent-Length: 0\\r\\n\\r\\n"}

`data` is YAML text in double quotes: its escapes (\\r, \\n, \\xNN) give
characters up to U+00FF, one byte each; other characters are sent as UTF-8.

`data` is YAML text in double quotes: its escapes (\\r, \\n, \\xNN) give
characters up to U+00FF, one byte each; other characters are sent as UTF-8.

All cases of all specs go into one pcap, each conversation on its own client
port; `suricata -r` runs once over it with the ruleset under test, and each
alert in eve.json is given to the case whose conversation it belongs to.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from rules.errors import RulesetError
from rules.pcap import Flow, PcapWriter
from rules.suricata_conf import write_offline_yaml

MAX_SPEC_BYTES, MAX_PAYLOAD_BYTES, MAX_REPEAT = 256 * 1024, 64 * 1024, 50


@dataclass
class Case:
    spec: str
    sid: int
    name: str
    expect: str  # alert | no_alert
    flows: list[Flow] = field(default_factory=list)
    alerts: int = 0

    @property
    def passed(self) -> bool:
        return (self.alerts > 0) == (self.expect == "alert")


def load_specs(folder: Path) -> list[Case]:
    cases, port = [], 20000
    for path in sorted(folder.glob("*.yaml")):
        for case in _spec_cases(path):
            for flow in case.flows:
                flow.client_port, port = port, port + 1
            cases.append(case)
    return cases


def _spec_cases(path: Path) -> list[Case]:
    if path.stat().st_size > MAX_SPEC_BYTES:
        raise RulesetError(f"larger than {MAX_SPEC_BYTES} bytes", path)
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        raise RulesetError(f"not valid YAML: {getattr(exc, 'problem', exc)}", path, mark.line + 1 if mark else None) from None
    if not isinstance(spec, dict) or not isinstance(spec.get("sid"), int) or not isinstance(spec.get("cases"), list):
        raise RulesetError("expected 'sid' (a number) and 'cases' (a list)", path)
    return [_case(path, spec["sid"], index, raw) for index, raw in enumerate(spec["cases"], start=1)]


def _case(path: Path, sid: int, index: int, raw) -> Case:
    label = f"case #{index}"
    if not isinstance(raw, dict) or raw.get("expect") not in ("alert", "no_alert"):
        raise RulesetError(f"{label}: 'expect' must be alert or no_alert", path, sid=sid)
    flow = raw.get("flow") or {}
    try:
        proto = flow["proto"] if flow.get("proto") in ("tcp", "udp") else _bad("flow.proto must be tcp or udp")
        client, server = (str(ipaddress.ip_address(flow[k])) for k in ("client", "server"))
        port = int(flow["port"]) if 0 < int(flow["port"]) < 65536 else _bad("flow.port must be 1-65535")
        repeat = int(raw.get("repeat", 1)) if 0 < int(raw.get("repeat", 1)) <= MAX_REPEAT else _bad("repeat 1-50")
        payloads = [_payload(p) for p in raw.get("payloads") or []]
    except (KeyError, TypeError, ValueError) as exc:
        raise RulesetError(f"{label}: {exc}", path, sid=sid) from None
    name = str(raw.get("name") or label)[:200]
    flows = [Flow(proto, client, server, 0, port, list(payloads)) for _ in range(repeat)]
    return Case(path.name, sid, name, raw["expect"], flows)


def _payload(raw) -> tuple[str, bytes]:
    if not isinstance(raw, dict) or raw.get("from") not in ("client", "server") or not isinstance(raw.get("data"), str):
        raise ValueError("each payload needs from: client|server and data: text")
    try:  # YAML's "\xNN" escapes give characters up to U+00FF: one byte each
        data = raw["data"].encode("latin-1")
    except UnicodeEncodeError:
        data = raw["data"].encode("utf-8")
    if len(data) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"payload larger than {MAX_PAYLOAD_BYTES} bytes")
    return raw["from"], data


def _bad(message: str):
    raise ValueError(message)


def run(cases: list[Case], suricata: Path, rules_path: Path, threshold_path: Path | None, home_net: str,
        timeout: float = 300) -> list[Case]:
    """Run Suricata over one pcap of every case; fill each case's alert count."""
    if not cases:
        return cases
    with tempfile.TemporaryDirectory(prefix="ops-rule-tests-") as tmp:
        folder = Path(tmp)
        writer = PcapWriter()
        for case in cases:
            for flow in case.flows:
                writer.add(flow)
        writer.write(folder / "tests.pcap")
        conf = write_offline_yaml(folder / "suricata.yaml", home_net)
        command = [str(suricata), "-c", str(conf), "-r", str(folder / "tests.pcap"), "-S", str(rules_path),
                   "-l", str(folder), "-k", "none", "--runmode", "single"]
        if threshold_path is not None and threshold_path.exists():
            command += ["--set", f"threshold-file={threshold_path}"]
        try:
            done = subprocess.run(command, capture_output=True, text=True, errors="replace", timeout=timeout)
        except subprocess.TimeoutExpired:
            raise RulesetError(f"suricata -r did not finish within {timeout:.0f} s", rules_path) from None
        if done.returncode != 0:
            raise RulesetError("Suricata could not run the rule tests: " + " | ".join(
                (done.stdout + done.stderr).strip().splitlines()[-5:]), rules_path)
        _count_alerts(cases, folder / "eve.json")
    return cases


def _count_alerts(cases: list[Case], eve: Path) -> None:
    owners = {}
    for case in cases:
        for flow in case.flows:
            owners[(flow.client, flow.client_port)] = case
    for line in eve.read_text(encoding="utf-8", errors="replace").splitlines() if eve.exists() else []:
        event = json.loads(line)
        if event.get("event_type") != "alert":
            continue
        for end in (("src_ip", "src_port"), ("dest_ip", "dest_port")):
            case = owners.get((event.get(end[0]), event.get(end[1])))
            if case is not None and event["alert"].get("signature_id") == case.sid:
                case.alerts += 1


def results(cases: list[Case]) -> list[dict]:
    return [{"spec": c.spec, "sid": c.sid, "case": c.name, "expect": c.expect, "alerts": c.alerts,
             "passed": c.passed} for c in cases]


def junit_xml(cases: list[Case]) -> bytes:
    suite = ET.Element("testsuite", name="ops-rule-tests", tests=str(len(cases)),
                       failures=str(sum(1 for c in cases if not c.passed)))
    for case in cases:
        element = ET.SubElement(suite, "testcase", classname=f"sid{case.sid}", name=case.name, file=case.spec)
        if not case.passed:
            wanted = "at least one alert" if case.expect == "alert" else "no alert"
            ET.SubElement(element, "failure", message=f"sid {case.sid}: expected {wanted}, got {case.alerts}")
    return ET.tostring(ET.ElementTree(suite).getroot(), encoding="utf-8", xml_declaration=True)
