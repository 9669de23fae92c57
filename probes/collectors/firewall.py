"""Firewall status: default policies, rule count, and which listening ports are open.

Reads `nft -j list ruleset`; where nft is missing or shows no input base
chain, `iptables-save` (or `iptables-legacy-save` where iptables-nft says
legacy tables exist). Debian's iptables is iptables-nft: its rules show in nft
as table `ip filter`, but those using xtables extensions (multiport, conntrack,
REJECT...) only as opaque `xt` expressions, so that chain is then read from
iptables-save.

A listening socket on a non-loopback address is open when, for its address
family (`*` is both), every input base chain of that family or `inet` accepts
a new connection to it: the first terminal verdict of a chain wins, else its
policy. Understood: tcp/udp dport (port, range, anonymous or named set), l4proto
/ ip protocol, iifname "lo" (never matches), ct state (matches if it holds
`new`), counter, log, accept/drop/reject; in iptables-save the same (-p,
--dport, multiport --dports, -i lo, --ctstate/--state, -j ACCEPT/DROP/REJECT/LOG).
NOT understood: addresses, other interfaces, jumps and gotos, return, limits,
marks, `th dport`, negation, ip6tables-save, legacy tables next to an nft
input chain. Such a rule is not guessed at: it decides nothing and is counted
in `unparsed_rules`, so under a drop policy a port only it opens is reported
closed, under an accept policy a port only it closes is reported open.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from collections.abc import Callable, Sequence
from typing import Any

from probes.collectors import CollectorFailed

VERDICTS = ("accept", "drop", "reject")
ALWAYS, NEVER, UNPARSED = "always", "never", "unparsed"
FULL = [(0, 65535)]
NONE = {"backend": "none", "input_policy": "accept", "forward_policy": "accept", "rule_count": 0, "chains": []}
IPT_VERDICTS = {"ACCEPT": "accept", "DROP": "drop", "REJECT": "reject", "LOG": None}
IPT_MODULES = {"tcp", "udp", "multiport", "conntrack", "state", "comment"}
IPT_OPTIONS = {"-p", "--dport", "--dports", "-i", "--ctstate", "--state", "-j", "--reject-with",
               "--comment", "--log-prefix", "--log-level"}
LEGACY = "iptables-legacy tables present"
MISSING = re.compile(r"No such file or directory|command not found")
LOOPBACK = re.compile(r"^(127\.|\[?::1\]?$|\[::ffff:127\.)")


class FirewallCollector:
    """One reading of the host's (or, with a command_prefix, a namespace's) firewall."""

    name = "firewall"

    def __init__(self, run: Callable[..., subprocess.CompletedProcess] = subprocess.run,
                 command_prefix: Sequence[str] = (), listening: Callable[[], list[dict]] | None = None):
        self.run, self.prefix = run, list(command_prefix)
        self.listening = listening or self._listening_from_ss

    def collect(self) -> dict:
        status = self._ruleset_status()
        chains = status.pop("chains")
        sockets = [s for s in self.listening() if not LOOPBACK.match(s["address"])]
        status["unparsed_rules"] = sum(rule == UNPARSED for chain in chains for rule in chain["rules"])
        status["input_chains"] = [f"{c['family']} {c['table']} {c['name']}" for c in chains]
        status["open_ports"] = open_ports(chains, sockets)
        return status

    def _ruleset_status(self) -> dict:
        nft, nft_error, _ = self._output("nft", "-j", "list", "ruleset")
        status = summarise_nft(_nft_items(nft)) if nft is not None else None
        xt_rules = status.pop("xt_rules") if status else 0
        if status and status["chains"]:
            return self._with_xt_chain(status) if xt_rules else status
        saved, ipt_error, warnings = self._output("iptables-save")
        tool = "iptables-legacy-save" if LEGACY in warnings else "iptables-save"
        if tool == "iptables-legacy-save":
            saved, ipt_error, _ = self._output(tool)
        if status is None and saved is None and (nft_error or ipt_error):
            raise CollectorFailed("; ".join(error for error in (nft_error, ipt_error) if error))
        ipt = summarise_iptables(saved or "")
        if ipt["rule_count"] or "drop" in (ipt["input_policy"], ipt["forward_policy"]):
            return {**ipt, "read_with": [tool]}
        return status if status and status["rule_count"] else dict(NONE)

    def _with_xt_chain(self, status: dict) -> dict:
        """iptables-nft's `ip filter INPUT` as iptables-save shows it, xt matches included."""
        chains = summarise_iptables(self._output("iptables-save")[0] or "")["chains"]
        if chains:
            status["chains"] = [chains[0] if (c["family"], c["table"], c["name"]) == ("ip", "filter", "INPUT") else c
                                for c in status["chains"]]
            status["read_with"] = ["nft", "iptables-save"]
        return status

    def _output(self, *command: str) -> tuple[str | None, str | None, str]:
        """(stdout, None, stderr) on success; stdout None when not installed, with a reason when it failed."""
        try:
            result = self.run([*self.prefix, *command], capture_output=True, text=True, timeout=20)
        except FileNotFoundError:
            return None, None, ""
        except subprocess.TimeoutExpired:
            raise CollectorFailed(f"{' '.join(command)}: no answer within 20 s") from None
        stderr = result.stderr or ""
        if result.returncode == 0:
            return result.stdout or "", None, stderr
        if result.returncode == 127 or MISSING.search(stderr):
            return None, None, stderr
        return None, f"{' '.join(command)} failed (rc {result.returncode}): {stderr.strip()[:200]}", stderr

    def _listening_from_ss(self) -> list[dict]:
        stdout, error, _ = self._output("ss", "-H", "-tulnp")
        if stdout is None:
            raise CollectorFailed(error or "ss is not installed: cannot list listening sockets")
        return parse_ss(stdout)


def _nft_items(text: str) -> list[dict]:
    try:
        items = json.loads(text or "{}").get("nftables", [])
    except (ValueError, AttributeError, RecursionError):
        raise CollectorFailed("nft -j list ruleset: output is not the JSON nft documents") from None
    if not isinstance(items, list):
        raise CollectorFailed("nft -j list ruleset: 'nftables' is not a list")
    return [item for item in items if isinstance(item, dict) and len(item) == 1]


def summarise_nft(items: list[dict]) -> dict:
    """Policies, rule count, count of xt rules and the input base chains (rules reduced) of `nft -j`."""
    of = {kind: [i[kind] for i in items if isinstance(i.get(kind), dict)] for kind in ("chain", "rule", "set")}
    sets = {_where(s): s.get("elem") for s in of["set"]}
    base = {hook: [c for c in of["chain"] if c.get("hook") == hook and c.get("family") in ("inet", "ip", "ip6")]
            for hook in ("input", "forward")}
    chains = []
    for chain in base["input"]:
        family, table, name = _where(chain)
        named = {set_name: elem for (f, t, set_name), elem in sets.items() if (f, t) == (family, table)}
        rules = [_nft_rule(_expressions(r), named) for r in of["rule"] if _where(r) == (family, table, name)]
        chains.append({"family": family, "table": table, "name": name, "policy": _policy([chain]), "rules": rules})
    return {"backend": "nftables", "input_policy": _policy(base["input"]), "forward_policy": _policy(base["forward"]),
            "rule_count": len(of["rule"]), "chains": chains,
            "xt_rules": sum(any("xt" in e for e in _expressions(r)) for r in of["rule"])}


def _where(thing: dict) -> tuple[str, str, str]:
    """(family, table, name) of a chain or set; of a rule, its chain's."""
    return str(thing.get("family")), str(thing.get("table")), str(thing.get("chain", thing.get("name")))


def _expressions(rule: dict) -> list[dict]:
    found = rule.get("expr")
    return found if isinstance(found, list) and all(isinstance(e, dict) and len(e) == 1 for e in found) else [{}]


def _policy(chains: list[dict]) -> str:
    """The strictest policy over the chains on a hook: a packet must pass each of them."""
    return "drop" if any(chain.get("policy") == "drop" for chain in chains) else "accept"


def _nft_rule(expressions: list[dict], sets: dict) -> Any:
    keys = [next(iter(e), "") for e in expressions]
    verdicts = [key for key in keys if key in VERDICTS]
    understood = set(keys) <= {"match", "counter", "log", *VERDICTS} and len(verdicts) <= 1
    conditions = [_nft_condition(e["match"], sets) for e in expressions if "match" in e]
    return _reduce(conditions, verdicts[0] if verdicts else None, understood)


def _nft_condition(match: Any, sets: dict) -> Any:
    """What one `match` means for a new inbound connection: ALWAYS, NEVER, (proto, ports) or None."""
    if not isinstance(match, dict) or match.get("op") not in ("==", "in") or not isinstance(match.get("left"), dict):
        return None
    left, right = match["left"], match.get("right")
    meta, ct, payload = (left.get(k) if isinstance(left.get(k), dict) else {} for k in ("meta", "ct", "payload"))
    if meta.get("key") in ("iifname", "iif"):
        return NEVER if right == "lo" else None
    if ct.get("key") == "state":
        states = right.get("set") if isinstance(right, dict) else right
        return _state_condition([states] if isinstance(states, str) else states)
    if meta.get("key") == "l4proto" or (payload.get("protocol"), payload.get("field")) == ("ip", "protocol"):
        return _proto_condition(right)
    if payload.get("field") == "dport" and payload.get("protocol") in ("tcp", "udp"):
        ports = _ports(sets.get(right[1:]) if isinstance(right, str) and right.startswith("@") else right)
        return (payload["protocol"], ports) if ports else None
    return None


def _state_condition(states: Any) -> Any:
    """A new inbound connection has conntrack state `new`."""
    if not isinstance(states, list) or not all(isinstance(state, str) for state in states):
        return None
    return ALWAYS if "new" in {state.lower() for state in states} else NEVER


def _proto_condition(proto: Any) -> Any:
    if proto in ("tcp", "udp"):
        return proto, FULL
    return NEVER if proto in ("icmp", "icmpv6", "ipv6-icmp") else None


def _ports(right: Any) -> list[tuple[int, int]]:
    """22, {"range": [a, b]}, {"set": [...]} or a named set's elements -> ranges; [] if not understood."""
    items = right.get("set", [right]) if isinstance(right, dict) else right if isinstance(right, list) else [right]
    ranges = []
    for item in items if isinstance(items, list) else []:
        pair = item.get("range") if isinstance(item, dict) else [item, item]
        if not (isinstance(pair, list) and len(pair) == 2 and all(type(p) is int for p in pair)):
            return []
        ranges.append((pair[0], pair[1]))
    return ranges


def _reduce(conditions: list, verdict: str | None, understood: bool) -> Any:
    """A rule -> {verdict, proto, ports}, None (decides nothing for a new inbound connection) or UNPARSED."""
    if NEVER in conditions:
        return None
    if not understood or None in conditions:
        return UNPARSED
    proto, ports = None, FULL
    for their_proto, their_ports in (c for c in conditions if c != ALWAYS):
        if proto and proto != their_proto:
            return None
        if ports != FULL and their_ports != FULL:
            return UNPARSED
        proto, ports = their_proto, ports if their_ports == FULL else their_ports
    return {"verdict": verdict, "proto": proto, "ports": ports} if verdict else None


def summarise_iptables(text: str) -> dict:
    """iptables-save: policies and INPUT rules of the *filter table; rule_count counts every '-A'."""
    table, policies, rules, rule_count = "", {}, [], 0
    for line in text.splitlines():
        table = line[1:].strip() if line.startswith("*") else table
        rule_count += line.startswith("-A ")
        if table == "filter" and (found := re.match(r":(INPUT|FORWARD) (ACCEPT|DROP)\b", line)):
            policies[found[1]] = found[2].lower()
        if table == "filter" and line.startswith("-A INPUT "):
            rules.append(_iptables_rule(line))
    chain = {"family": "ip", "table": "filter", "name": "INPUT", "policy": policies.get("INPUT", "accept"), "rules": rules}
    return {"backend": "iptables", "input_policy": chain["policy"], "forward_policy": policies.get("FORWARD", "accept"),
            "rule_count": rule_count, "chains": [chain] if "INPUT" in policies else []}


def _iptables_rule(line: str) -> Any:
    try:
        words = shlex.split(line)[2:]
    except ValueError:
        return UNPARSED
    pairs = list(zip(words[::2], words[1::2]))
    options = {key: value for key, value in pairs if key != "-m"}
    understood = (len(words) % 2 == 0 and set(options) <= IPT_OPTIONS and options.get("-j") in IPT_VERDICTS
                  and all(value in IPT_MODULES for key, value in pairs if key == "-m")
                  and len(options) == sum(key != "-m" for key, _ in pairs))
    conditions = [_iptables_condition(key, value, options) for key, value in options.items()
                  if key in ("-p", "-i", "--ctstate", "--state")]
    return _reduce(conditions, IPT_VERDICTS.get(options.get("-j", "")), understood)


def _iptables_condition(key: str, value: str, options: dict) -> Any:
    if key == "-i":
        return NEVER if value == "lo" else None
    if key in ("--ctstate", "--state"):
        return _state_condition(value.split(","))
    proto, spec = _proto_condition(value.lower()), options.get("--dport") or options.get("--dports")
    if not isinstance(proto, tuple) or spec is None:
        return proto
    if not re.fullmatch(r"\d{1,5}(:\d{1,5})?(,\d{1,5}(:\d{1,5})?)*", spec):
        return None
    return proto[0], [(int(part.split(":")[0]), int(part.split(":")[-1])) for part in spec.split(",")]


def open_ports(chains: list[dict], sockets: list[dict]) -> list[dict]:
    """The listening sockets every input chain of their address family lets a new connection reach."""
    found = []
    for sock in sockets:
        proto = sock["proto"].rstrip("6")
        if any(all(_verdict(c, proto, sock["port"]) == "accept" for c in chains if c["family"] in (family, "inet"))
               for family in _families(sock["address"])):
            found.append({"proto": proto, "port": sock["port"], "address": sock["address"], "process": sock.get("process")})
    return sorted(found, key=lambda p: (p["proto"], p["port"], p["address"]))


def _families(address: str) -> tuple[str, ...]:
    """'*' is a dual-stack socket; '[::ffff:a.b.c.d]' is IPv4 seen through IPv6."""
    if address == "*":
        return ("ip", "ip6")
    return ("ip6",) if address.startswith("[") and "." not in address else ("ip",)


def _verdict(chain: dict, proto: str, port: int) -> str:
    for rule in chain["rules"]:
        if isinstance(rule, dict) and rule["proto"] in (None, proto) and any(lo <= port <= hi for lo, hi in rule["ports"]):
            return rule["verdict"]
    return chain["policy"]


def parse_ss(text: str) -> list[dict]:
    """`ss -H -tulnp` lines -> [{proto, address, port, process}]; lines it cannot read are left out."""
    sockets = []
    for line in text.splitlines():
        fields = line.split()
        address, _, port = fields[4].rpartition(":") if len(fields) >= 5 else ("", "", "")
        if fields[:1] not in (["tcp"], ["udp"]) or not address or not port.isdigit() or int(port) > 65535:
            continue
        process = re.search(r'users:\(\("([^"]{1,64})"', line)
        sockets.append({"proto": fields[0], "address": re.sub(r"%[^\]]*", "", address), "port": int(port),
                        "process": process.group(1) if process else None})
    return sockets
