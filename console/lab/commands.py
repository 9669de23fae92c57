"""Running the system commands the lab needs, bounded in time, failing with their own words."""

from __future__ import annotations

import subprocess

from console.lab.errors import LabError

TIMEOUT_SECONDS = 30


def run(*argv: str, check: bool = True, input_text: str | None = None) -> subprocess.CompletedProcess:
    """Run argv; LabError naming the command and its stderr when it fails (if `check`)."""
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, input=input_text)
    except FileNotFoundError:
        raise LabError(f"{argv[0]}: not installed (the lab needs iproute2, openssh-server and ethtool: "
                       "scripts/install-debian-packages.sh base)") from None
    except subprocess.TimeoutExpired:
        raise LabError(f"{' '.join(argv)}: no answer within {TIMEOUT_SECONDS} s") from None
    if check and result.returncode != 0:
        raise LabError(f"{' '.join(argv)}: {result.stderr.strip() or f'exit code {result.returncode}'}")
    return result
