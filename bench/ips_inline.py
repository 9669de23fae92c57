"""Benchmark: traffic through an inline Suricata (af-packet copy-mode ips) against the same path without it.

    .venv/bin/python bench/ips_inline.py [--snapshot ../shared/data/et-open-2024-04.tar.gz] [--seconds 10]

The lab's inline path (console/lab/inline.py: client, sensor and server namespaces, two veth pairs through
the sensor, offloads off). In the same run:

1. plain: a path whose sensor joins its two interfaces with a Linux bridge, no Suricata;
2. inline: a second path, Suricata 7 inline between them with the ET Open snapshot's rules (every rule of
   its rules/*.rules, enabled ones as shipped; the snapshot is read where it lies, never copied into the
   repository), or the repository's rules/local if there is no snapshot.

Both paths are up at once and measured in interleaved rounds (medians printed), so both see the same
load of this shared machine. Each round and path: iperf3 TCP throughput client -> server (`--seconds`), then the round-trip time of 1,000 pings
(every 10 ms) while iperf3 offers a steady 100 Mbit/s alongside. Printed: throughput of both and their
ratio, p50/p99 round trip of both, and the p99 latency the sensor adds. Targets: at least 200 Mbit/s
through the sensor, p99 added under 2 ms. Needs root, iperf3 (Debian package iperf3) and Suricata 7.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from console.lab.inline import SERVER_ADDRESS, InlinePath  # noqa: E402

SNAPSHOT_NAME = "et-open-2024-04.tar.gz"
# /work/main/../shared/data or, from a worktree, /work/wt/<name>/../../shared/data
DEFAULT_SNAPSHOT = next((base / "shared" / "data" / SNAPSHOT_NAME for base in (REPO.parent, REPO.parent.parent)
                         if (base / "shared" / "data" / SNAPSHOT_NAME).is_file()), REPO.parent / "shared" / "data" / SNAPSHOT_NAME)
PING_COUNT, PING_INTERVAL = 1000, 0.01
RTT = re.compile(r"time=([0-9.]+) ms")


def snapshot_rules(snapshot: Path) -> tuple[str, str]:
    """(rules text, what it is): ET Open's rules/*.rules as shipped, or rules/local without a snapshot."""
    if snapshot.is_file():
        texts = []
        with tarfile.open(snapshot) as archive:
            for member in archive.getmembers():
                if member.isfile() and member.name.endswith(".rules"):
                    texts.append(archive.extractfile(member).read().decode("utf-8", "replace"))
        text = "\n".join(texts)
        enabled = sum(1 for line in text.splitlines() if re.match(r"^(alert|drop|pass|reject)\s", line))
        return text, f"ET Open snapshot {snapshot.name} ({enabled} enabled rules)"
    text = "\n".join(path.read_text() for path in sorted((REPO / "rules" / "local").glob("*.rules")))
    return text, "rules/local (no ET Open snapshot found)"


def throughput(path: InlinePath, seconds: int) -> float:
    """Mbit/s iperf3 TCP received by the server."""
    result = subprocess.run(["ip", "netns", "exec", path.client, "iperf3", "-c", SERVER_ADDRESS, "-t", str(seconds),
                             "-J"], capture_output=True, text=True, timeout=seconds + 60)
    data = json.loads(result.stdout or "{}")
    if "error" in data or result.returncode != 0:
        raise SystemExit(f"iperf3: {data.get('error') or result.stderr.strip()}")
    return data["end"]["sum_received"]["bits_per_second"] / 1e6


def round_trips_under_load(path: InlinePath, rate: str = "100M") -> list[float]:
    """Ping round trips (ms) client -> server while iperf3 offers `rate` of TCP alongside."""
    seconds = int(PING_COUNT * PING_INTERVAL) + 5
    load = subprocess.Popen(["ip", "netns", "exec", path.client, "iperf3", "-c", SERVER_ADDRESS, "-b", rate,
                             "-t", str(seconds), "-p", "5201"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1)  # iperf3 settles at its rate
        pinged = subprocess.run(["ip", "netns", "exec", path.client, "ping", "-n", "-i", str(PING_INTERVAL),
                                 "-c", str(PING_COUNT), SERVER_ADDRESS], capture_output=True, text=True,
                                timeout=seconds + 30)
    finally:
        load.wait(timeout=seconds + 30)
    return [float(m) for m in RTT.findall(pinged.stdout)]


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else float("nan")


def measure(path: InlinePath, seconds: int) -> dict:
    mbits = throughput(path, seconds)
    rtts = round_trips_under_load(path)
    return {"mbits": mbits, "p50": p(rtts, 50), "p99": p(rtts, 99), "pings": len(rtts)}


def median_row(rows: list[dict]) -> dict:
    return {key: statistics.median(row[key] for row in rows) for key in rows[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshot", type=Path, default=DEFAULT_SNAPSHOT)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rules, what = snapshot_rules(args.snapshot)
    plain_path = InlinePath(Path(tempfile.mkdtemp(prefix="ips-bench-")))
    inline_path = InlinePath(Path(tempfile.mkdtemp(prefix="ips-bench-")))
    servers = []
    try:
        for path in (plain_path, inline_path):
            path.up()
            servers.append(subprocess.Popen(["ip", "netns", "exec", path.server_ns, "iperf3", "-s"],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        plain_path.bridge(up=True)
        started = time.monotonic()
        inline_path.start_suricata(rules, timeout=900)
        load_seconds = time.monotonic() - started
        loaded = re.search(r"(\d+) rules successfully loaded",
                           (inline_path.folder / "log" / "suricata.log").read_text())
        for path in (plain_path, inline_path):
            deadline = time.monotonic() + 10
            while path.exec(path.client, "ping", "-c", "1", "-W", "1", SERVER_ADDRESS, check=False).returncode:
                if time.monotonic() > deadline:
                    raise SystemExit(f"{path.prefix}: the path does not carry traffic")
        rounds = {"plain": [], "inline": []}
        for _ in range(args.rounds):  # interleaved: both paths see the machine's load of the moment
            rounds["plain"].append(measure(plain_path, args.seconds))
            rounds["inline"].append(measure(inline_path, args.seconds))
    finally:
        for server in servers:
            server.terminate()
        for path in (plain_path, inline_path):
            path.down()
    plain, inline = median_row(rounds["plain"]), median_row(rounds["inline"])
    with open("/proc/loadavg") as handle:
        load = handle.read().split()[:3]
    print(f"rules: {what}; Suricata started in {load_seconds:.1f} s"
          f"{f', {loaded.group(1)} rules loaded' if loaded else ''}; load average {' '.join(load)}")
    print(f"medians of {args.rounds} interleaved rounds ({args.seconds} s iperf3, {PING_COUNT} pings each):")
    for name, row in (("plain (bridge)", plain), ("inline Suricata", inline)):
        print(f"{name:16} {row['mbits']:8.0f} Mbit/s   RTT at 100 Mbit/s: p50 {row['p50']:.3f} ms, "
              f"p99 {row['p99']:.3f} ms")
    print(f"throughput ratio inline/plain: {inline['mbits'] / plain['mbits']:.2f}  (target >= 200 Mbit/s: "
          f"{'met' if inline['mbits'] >= 200 else 'NOT met'})")
    added = inline["p99"] - plain["p99"]
    print(f"p99 added by the sensor at 100 Mbit/s: {added:.3f} ms; p99 ratio {inline['p99'] / plain['p99']:.2f}"
          f"  (target < 2 ms: {'met' if added < 2 else 'NOT met'})")


if __name__ == "__main__":
    main()
