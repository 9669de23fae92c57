"""Firewall status: default policies, rule count, and which listening ports are open.

Reads `nft -j list ruleset` (Debian's iptables is iptables-nft, so its rules
show there too) and falls back to `iptables-save` where nft is missing.
Open ports: for each socket listening on a non-loopback address, the input
hook's rules are walked in order. The evaluator understands single-condition
rules on tcp/udp destination port (a port, a set or a range) with accept,
drop or reject, unconditional verdicts, and it skips rules that only admit
loopback or established traffic. A rule with any other condition (a source
address, a jump...) is not guessed at: it is counted in `unparsed_rules`, and
a port such a rule could open is not reported open.
"""

from __future__ import annotations

import json
import re
import subprocess
from typing import Callable

from probes.collectors import CollectorFailed

VERDICTS = ("accept", "drop", "reject")
LOOPBACK = re.compile(r"^(127\.|::1$|\[::1\]$)")


class FirewallCollector:
    name = "firewall"

    def __init__(self, run: Callable = subprocess.run, command_prefix: list[str] | None = None,
                 listening: Callable[[], list[dict]] | None = None):
        self.run, self.prefix = run, list(command_prefix or [])
        self.listening = listening or self._listening_from_ss

    def collect(self) -> dict:
        ruleset = self._nft_ruleset()
        status = summarise_nft(ruleset) if ruleset is not None else self._iptables()
        sockets = [s for s in self.listening() if not LOOPBACK.match(s["address"])]
        status["open_ports"] = open_ports(status.pop("input_rules"), status["input_policy"], sockets)
        return status

    def _command(self, *args: str) -> subprocess.CompletedProcess | None:
        try:
            return self.run([*self.prefix, *args], capture_output=True, text=True, timeout=20)
        except FileNotFoundError:
            return None

    def _nft_ruleset(self) -> list | None:
        result = self._command("nft", "-j", "list", "ruleset")
        if result is None or result.returncode != 0:
            return None
        try:
            items = json.loads(result.stdout or "{}").get("nftables", [])
        except (ValueError, AttributeError):
            raise CollectorFailed("nft -j list ruleset: output is not the JSON nft documents") from None
        return items if isinstance(items, list) else None

    def _iptables(self) -> dict:
        result = self._command("iptables-save")
        if result is None or result.returncode != 0:
            return {"backend": "none", "input_policy": "accept", "forward_policy": "accept", "rule_count": 0,
                    "input_rules": []}
        return summarise_iptables(result.stdout)

    def _listening_from_ss(self) -> list[dict]:
        result = self._command("ss", "-H", "-tulnp")
        if result is None or result.returncode != 0:
            raise CollectorFailed("ss -tulnp failed: cannot list listening sockets")
        return parse_ss(result.stdout)


def summarise_nft(items: list) -> dict:
    chains = [i["chain"] for i in items if isinstance(i, dict) and isinstance(i.get("chain"), dict)]
    rules = [i["rule"] for i in items if isinstance(i, dict) and isinstance(i.get("rule"), dict)]
    base = {hook: [c for c in chains if c.get("hook") == hook and c.get("family") in ("inet", "ip", "ip6")]
            for hook in ("input", "forward")}
    if not base["input"] and not rules:
        return {"backend": "none", "input_policy": "accept", "forward_policy": "accept", "rule_count": 0,
                "input_rules": []}
    input_names = {(c.get("family"), c.get("table"), c.get("name")) for c in base["input"]}
    input_rules = [_nft_rule(r) for r in rules if (r.get("family"), r.get("table"), r.get("chain")) in input_names]
    return {"backend": "nftables", "input_policy": _policy(base["input"]), "forward_policy": _policy(base["forward"]),
            "rule_count": len(rules), "input_rules": input_rules,
            "unparsed_rules": sum(1 for r in input_rules if r["kind"] == "unparsed")}


def _policy(chains: list) -> str:
    """The strictest policy over the chains on a hook (each must accept a packet)."""
    policies = {str(c.get("policy", "accept")) for c in chains}
    if not chains:
        return "accept"
    return "drop" if "drop" in policies else "accept"


def _nft_rule(rule: dict) -> dict:
    """Reduce one rule to {kind, verdict, proto, ports} the evaluator understands."""
    expressions = rule.get("expr") if isinstance(rule.get("expr"), list) else []
    verdicts = [v for e in expressions if isinstance(e, dict) for v in VERDICTS if v in e]
    matches = [e["match"] for e in expressions if isinstance(e, dict) and isinstance(e.get("match"), dict)]
    others = [e for e in expressions if isinstance(e, dict) and not (set(e) & {"match", "counter", *VERDICTS})]
    if len(verdicts) != 1 or others:
        return {"kind": "unparsed"}
    verdict = verdicts[0]
    if not matches:
        return {"kind": "all", "verdict": verdict}
    if len(matches) == 1 and _skippable(matches[0]):
        return {"kind": "skip"}
    if len(matches) == 1 and _port_match(matches[0]):
        proto, ports = _port_match(matches[0])
        return {"kind": "port", "verdict": verdict, "proto": proto, "ports": ports}
    return {"kind": "unparsed"}


def _skippable(match: dict) -> bool:
    left = match.get("left") or {}
    meta = left.get("meta") if isinstance(left, dict) else None
    ct = left.get("ct") if isinstance(left, dict) else None
    if isinstance(meta, dict) and meta.get("key") in ("iifname", "iif") and match.get("right") == "lo":
        return True
    if not (isinstance(ct, dict) and ct.get("key") == "state"):
        return False
    right = match.get("right")
    states = right if isinstance(right, list) else [right]
    return all(isinstance(state, str) for state in states) and set(states) <= {"established", "related"}


def _port_match(match: dict):
    payload = (match.get("left") or {}).get("payload") if isinstance(match.get("left"), dict) else None
    if not isinstance(payload, dict) or payload.get("field") != "dport" or match.get("op") not in ("==", "in"):
        return None
    proto = payload.get("protocol")
    if proto not in ("tcp", "udp"):
        return None
    ports = _ports(match.get("right"))
    return (proto, ports) if ports else None


def _ports(right) -> list[tuple[int, int]]:
    if isinstance(right, int):
        return [(right, right)]
    if isinstance(right, dict) and isinstance(right.get("range"), list) and len(right["range"]) == 2:
        low, high = right["range"]
        return [(low, high)] if isinstance(low, int) and isinstance(high, int) else []
    if isinstance(right, dict) and isinstance(right.get("set"), list):
        return [p for item in right["set"] for p in _ports(item)]
    return []


def summarise_iptables(text: str) -> dict:
    """iptables-save output: policies from ':INPUT DROP', rules from '-A INPUT ...'."""
    policies = dict(re.findall(r"^:(INPUT|FORWARD) (ACCEPT|DROP)", text, re.MULTILINE))
    rules = [line for line in text.splitlines() if line.startswith("-A ")]
    input_rules = [_iptables_rule(line) for line in rules if line.startswith("-A INPUT ")]
    return {"backend": "iptables", "input_policy": policies.get("INPUT", "ACCEPT").lower(),
            "forward_policy": policies.get("FORWARD", "ACCEPT").lower(), "rule_count": len(rules),
            "input_rules": input_rules, "unparsed_rules": sum(1 for r in input_rules if r["kind"] == "unparsed")}


def _iptables_rule(line: str) -> dict:
    verdict = re.search(r" -j (ACCEPT|DROP|REJECT)\b", line)
    if not verdict:
        return {"kind": "unparsed"}
    port = re.fullmatch(r"-A INPUT -p (tcp|udp)(?: -m \1)? --dport (\d+)(?::(\d+))? -j \w+", line.strip())
    if port:
        low = int(port.group(2))
        return {"kind": "port", "verdict": verdict.group(1).lower(), "proto": port.group(1),
                "ports": [(low, int(port.group(3) or low))]}
    if line.strip() in ("-A INPUT -i lo -j ACCEPT",) or "--ctstate RELATED,ESTABLISHED" in line:
        return {"kind": "skip"}
    if re.fullmatch(r"-A INPUT -j \w+", line.strip()):
        return {"kind": "all", "verdict": verdict.group(1).lower()}
    return {"kind": "unparsed"}


def open_ports(rules: list[dict], policy: str | None, sockets: list[dict]) -> list[dict]:
    """The listening sockets that the input rules (first match wins) or the policy accept."""
    found = []
    for sock in sockets:
        proto = sock["proto"].rstrip("6")
        if _verdict_for(rules, policy, proto, sock["port"]) == "accept":
            found.append({"proto": proto, "port": sock["port"], "address": sock["address"],
                          "process": sock.get("process")})
    return sorted(found, key=lambda p: (p["proto"], p["port"]))


def _verdict_for(rules: list[dict], policy: str | None, proto: str, port: int) -> str:
    for rule in rules:
        if rule["kind"] == "all":
            return rule["verdict"]
        # "skip" (loopback, established) and "unparsed" rules decide nothing here;
        # unparsed ones are counted in the status instead of guessed at.
        if rule["kind"] == "port" and rule["proto"] == proto and any(lo <= port <= hi for lo, hi in rule["ports"]):
            return rule["verdict"]
    return policy or "accept"


def parse_ss(text: str) -> list[dict]:
    """`ss -H -tulnp` lines -> [{proto, address, port, process}]."""
    sockets = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 5 or fields[0] not in ("tcp", "udp"):
            continue
        address, _, port = fields[4].rpartition(":")
        if not port.isdigit():
            continue
        process = re.search(r'users:\(\("([^"]+)"', line)
        sockets.append({"proto": fields[0], "address": address.split("%")[0], "port": int(port),
                        "process": process.group(1) if process else None})
    return sockets
