"""Benchmark: a full ruleset build from the ET Open snapshot, beside plain suricata-update.

    .venv/bin/python bench/rules_build.py [--snapshot ../shared/data/et-open-2024-04.tar.gz] [--runs 3]

Both sides read the same tarball (ours as a "file" source, suricata-update
through --url file://...) with the same realistic policy (disable.conf,
enable.conf, modify.conf, drop.conf) and the department's rules/local, in
temp folders (suricata-update with its own --data-dir), without `suricata -T`
(timed separately). Then: the time from a one-line policy change (one sid
appended to disable.conf) to a new candidate ready for validation, with the
parsed-rules cache a running console keeps, and without it (a new process).
The snapshot is read where it lies; nothing is copied into the repository.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rules import build, validate  # noqa: E402
from rules.config import RulesConfig  # noqa: E402
from rules.parse import ParseCache  # noqa: E402

POLICY = {
    "disable.conf": ("# groups the department does not need\ngroup:emerging-games\ngroup:emerging-inappropriate\n"
                     "group:emerging-chat\ngroup:emerging-p2p\n# informational noise\n"
                     "metadata:signature_severity informational\nmsg:^ET INFO Observed DNS Query\n"
                     + "".join(f"{sid}\n" for sid in range(2013028, 2013048))),
    "enable.conf": "# scans against servers matter here\ngroup:emerging-scan\nclasstype:trojan-activity\n",
    "modify.conf": '2001219 "seconds \\d+" "seconds 120"\n',
    "drop.conf": "# IDS only: nothing dropped\n",
}


def setup(folder: Path, snapshot: Path) -> RulesConfig:
    policy = folder / "policy"
    policy.mkdir(parents=True)
    for name, text in POLICY.items():
        (policy / name).write_text(text)
    shutil.copytree(REPO / "rules" / "local", folder / "local")
    (folder / "threshold.config").write_text("")
    (folder / "sources.yaml").write_text(f"sources:\n- {{name: et-open, kind: file, location: {snapshot}}}\n")
    return RulesConfig(sources_file=folder / "sources.yaml", policy_dir=policy, threshold_file=folder / "threshold.config",
                       local_dir=folder / "local", tests_dir=folder / "tests", var_dir=folder / "var")


def ours(config: RulesConfig) -> tuple[float, build.Candidate]:
    start = time.perf_counter()
    candidate = build.build(config, ParseCache())
    return time.perf_counter() - start, candidate


def suricata_update(config: RulesConfig, snapshot: Path, folder: Path) -> float:
    data = folder / "su-data"
    shutil.rmtree(data, ignore_errors=True)
    policy = config.policy_dir
    command = [str(REPO / ".venv" / "bin" / "suricata-update"), "--data-dir", str(data), "--no-test", "--no-reload",
               "-q", "--url", f"file://{snapshot}", "--local", str(config.local_dir), "--output", str(data / "out"),
               "--disable-conf", str(policy / "disable.conf"), "--enable-conf", str(policy / "enable.conf"),
               "--modify-conf", str(policy / "modify.conf"), "--drop-conf", str(policy / "drop.conf"),
               "--suricata", "/usr/bin/suricata", "--suricata-conf", "/etc/suricata/suricata.yaml"]
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, timeout=600)
    return time.perf_counter() - start


def one_line_change(config: RulesConfig, sid: int) -> tuple[float, float]:
    cache = ParseCache()
    build.build(config, cache)
    with (config.policy_dir / "disable.conf").open("a") as handle:
        handle.write(f"{sid}\n")
    start = time.perf_counter()
    candidate = build.build(config, cache)
    warm = time.perf_counter() - start
    assert not next(r for r in candidate.rules if r["sid"] == sid)["enabled"]
    start = time.perf_counter()
    build.build(config, ParseCache())
    return warm, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--snapshot", type=Path, default=REPO.parent / "shared" / "data" / "et-open-2024-04.tar.gz")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ops-bench-rules-") as tmp:
        folder = Path(tmp)
        config = setup(folder, args.snapshot.resolve())
        ours_times, su_times = [], []
        for _ in range(args.runs):
            seconds, candidate = ours(config)
            ours_times.append(seconds)
            su_times.append(suricata_update(config, args.snapshot.resolve(), folder))
        su_rules = (folder / "su-data" / "out" / "suricata.rules").read_text().splitlines()
        su_enabled = sum(1 for line in su_rules if line and not line.startswith("#"))
        start = time.perf_counter()
        verdict = validate.validate(config.suricata, config.suricata_yaml, candidate.folder, candidate.rules, 600)
        validate_seconds = time.perf_counter() - start
        sid = next(r["sid"] for r in candidate.rules if r["enabled"] and r["source"] == "et-open")
        warm, cold = one_line_change(config, sid)
    ours_median, su_median = statistics.median(ours_times), statistics.median(su_times)
    print(f"rules: ours {len(candidate.rules)} total / {candidate.enabled} enabled; "
          f"suricata-update {len(su_rules)} total / {su_enabled} enabled")
    print(f"full build, median of {args.runs}: ours {ours_median:.2f} s, suricata-update {su_median:.2f} s, "
          f"ratio {ours_median / su_median:.2f}x")
    print(f"suricata -T on the candidate: {validate_seconds:.1f} s ({'ok' if verdict.ok else verdict.errors[:3]})")
    print(f"one sid disabled -> candidate ready: {warm:.2f} s with the parse cache, {cold:.2f} s without")


if __name__ == "__main__":
    main()
