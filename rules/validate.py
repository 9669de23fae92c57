"""Suricata's own verdict on a candidate: `suricata -T` with the sensor's suricata.yaml.

Suricata 7 fails `-T` when any rule or the threshold file cannot be loaded,
and names the rule file and the line of each rule it refused. Those lines are
mapped back, through the candidate's manifest, to the sid and to the source
file and line the rule came from, next to Suricata's reason.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from rules.errors import RulesetError, where

FAILED_RULE = re.compile(r'error parsing signature "(?P<rule>.*)" from file (?P<file>.+) at line (?P<line>\d+)')
MAX_OUTPUT_LINES = 200


@dataclass
class Verdict:
    ok: bool
    errors: list[str] = field(default_factory=list)
    failed_sids: list[int] = field(default_factory=list)


def suricata_test(suricata: Path, suricata_yaml: Path, rules_path: Path, threshold_path: Path | None,
                  timeout: float, extra_sets: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    if not Path(suricata).exists():
        raise RulesetError("Suricata not found (set [rules] suricata)", suricata)
    if not Path(suricata_yaml).exists():
        raise RulesetError("suricata.yaml not found (set [rules] suricata_yaml)", suricata_yaml)
    with tempfile.TemporaryDirectory(prefix="ops-rules-test-") as logs:
        command = [str(suricata), "-T", "-c", str(suricata_yaml), "-S", str(rules_path), "-l", logs]
        if threshold_path is not None:
            command += ["--set", f"threshold-file={threshold_path}"]
        for item in extra_sets:
            command += ["--set", item]
        try:
            return subprocess.run(command, capture_output=True, text=True, errors="replace", timeout=timeout)
        except subprocess.TimeoutExpired:
            raise RulesetError(f"suricata -T did not finish within {timeout:.0f} s", rules_path) from None


def validate(suricata: Path, suricata_yaml: Path, folder: Path, manifest_rules: list[dict], timeout: float,
             extra_sets: tuple[str, ...] = ()) -> Verdict:
    """Run suricata -T over folder/ops.rules and folder/threshold.config; map its errors to sids."""
    from rules.build import RULES_FILE, THRESHOLD_FILE

    done = suricata_test(suricata, suricata_yaml, folder / RULES_FILE, folder / THRESHOLD_FILE, timeout, extra_sets)
    if done.returncode == 0:
        return Verdict(True)
    return explain(done.stdout + "\n" + done.stderr, manifest_rules, folder / THRESHOLD_FILE)


def explain(output: str, manifest_rules: list[dict], threshold_path: Path) -> Verdict:
    by_line = {entry["out_line"]: entry for entry in manifest_rules}
    verdict, reason = Verdict(False), ""
    for line in output.splitlines()[:5000]:
        text = line.strip()
        if not text.startswith(("E:", "W:")) and "Error" not in text:
            continue
        found = FAILED_RULE.search(text)
        if found:
            entry = by_line.get(int(found.group("line")))
            verdict.errors.append(_rule_error(entry, reason, found))
            if entry:
                verdict.failed_sids.append(entry["sid"])
            reason = ""
        elif "threshold" in text:
            verdict.errors.append(f"{threshold_path.name}: Suricata: {_strip_level(text)}")
        elif "Loading signatures failed" not in text:
            reason = _strip_level(text)
            if "detect-parse" not in text:
                verdict.errors.append(f"Suricata: {reason}")
    if not verdict.errors:
        verdict.errors.append("Suricata: " + " | ".join(output.strip().splitlines()[-5:]))
    verdict.errors = verdict.errors[:MAX_OUTPUT_LINES]
    return verdict


def _rule_error(entry: dict | None, reason: str, found: re.Match) -> str:
    if entry is None:
        return f"Suricata refused a rule at line {found.group('line')}: {reason}"
    return f"{where(entry['file'], entry['line'], entry['sid'])}Suricata: {reason or 'error parsing signature'}"


def _strip_level(text: str) -> str:
    return re.sub(r"^[EWI]: ", "", text)[:500]
