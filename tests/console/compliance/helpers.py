"""Shared steps of the compliance tests: enrol an agent for an inventory host and ingest its report."""

from __future__ import annotations

import base64
import json
import os
import uuid
from datetime import datetime, timezone

from console.db import session_scope
from console.agents import enrolment as agents
from console.agents import host_reports as reports
from console.access.actor import Actor


def enrol(factory, host: str):
    """A live agent for `host` (through the real enrolment service); returns its id."""
    with session_scope(factory) as session:
        _row, token = agents.create_enrollment_token(session, Actor.cli(), host, hours=1)
        key = base64.b64encode(os.urandom(32)).decode()
        return agents.enroll(session, token, host, key, "test", "198.18.40.1").id


def ingest(factory, agent_id: int, report: dict) -> None:
    """Store a report exactly as POST /api/v1/reports does after the signature check."""
    from console.models import Agent

    with session_scope(factory) as session:
        agent = session.get(Agent, agent_id)
        stored, _ = reports.ingest(session, agent, json.dumps(report).encode())
        assert stored


def report(host: str, **sections) -> dict:
    """A report built like probes.agent.collect_report, with the given sections."""
    return {"schema_version": 1, "report_id": str(uuid.uuid4()), "host": host, "agent_version": "test",
            "collected_at": datetime.now(timezone.utc).isoformat(), "interval_seconds": 60, "errors": [], **sections}


def results_of(factory, run_id: int) -> dict[tuple[str, str], str]:
    from console.compliance.history import iter_results

    with factory() as session:
        return {(row.control_id, row.target): row.result for row in iter_results(session, run_id)}


def ops(config, *args) -> "subprocess.CompletedProcess":
    """The real `ops` command in a child process (as an operator or systemd runs it); output = stdout + stderr."""
    import subprocess
    import sys
    from pathlib import Path

    environment = {key: value for key, value in os.environ.items() if key not in ("OPS_CONFIG", "OPS_DATABASE_URL")}
    done = subprocess.run([sys.executable, "-m", "console.cli", "--config", str(config), *args], capture_output=True,
                          text=True, env=environment, cwd=Path(__file__).resolve().parents[3], timeout=300)
    done.output = done.stdout + done.stderr
    done.exit_code = done.returncode
    return done
