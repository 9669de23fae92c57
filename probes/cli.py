"""`ops agent` (and `ops-agent` on hosts without the console): enrol, run, report once.

This module never imports the console package: the same commands work on a host
where only the agent is installed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import signal
from pathlib import Path

import click

from probes.agent import Agent, build_collectors, collect_report, enroll, host_name
from probes.config import AgentSettings, load_agent_settings
from probes.errors import ProbeError


def _settings(ctx: click.Context) -> AgentSettings:
    root = ctx.find_root()
    path = root.params.get("config_path") or os.environ.get("OPS_CONFIG") or "ops.toml"
    if not Path(path).exists() and not root.params.get("config_path"):
        return AgentSettings()
    return load_agent_settings(path)


def _fail(message: str, code: int = 1):
    click.echo(f"ops agent: error: {message}", err=True)
    raise SystemExit(code)


@contextlib.contextmanager
def _reported():
    """Any agent error (probes.errors.ProbeError) becomes one line on stderr and exit code 2."""
    try:
        yield
    except ProbeError as exc:
        _fail(str(exc), 2)


@click.group()
def agent() -> None:
    """The host agent: health, antivirus, firewall, UPS and sensor status, reported to the console."""


@agent.command("enroll")
@click.option("--console", "console_url", required=True, help="The console's URL, e.g. https://ops.example:8080")
@click.option("--token", required=True, envvar="OPS_AGENT_ENROLLMENT_TOKEN", show_envvar=True,
              help="A one-time enrolment token from the console (ops fleet enroll-token); from the environment, "
                   "it stays out of the process list.")
@click.option("--ca-file", default="", help="CA certificate that signed the console's TLS certificate.")
@click.option("--pin-sha256", default="", help="Pin the console's certificate by its SHA-256 (hex).")
@click.option("--host", "host", default="", help="Inventory name of this host (default: [agent] host_name, "
                                                  "else the system host name).")
@click.pass_context
def enroll_command(ctx, console_url: str, token: str, ca_file: str, pin_sha256: str, host: str) -> None:
    """Give this host its own credential (a key pair; the console keeps only the public key)."""
    with _reported():
        settings = _settings(ctx)
        if host:
            settings = dataclasses.replace(settings, host_name=host)
        state = enroll(settings, console_url, token, ca_file, pin_sha256)
    click.echo(f"enrolled as agent {state.agent_id} for host {state.host}")


@agent.command("once")
@click.option("--print", "print_only", is_flag=True, help="Print one report as JSON and send nothing.")
@click.pass_context
def once(ctx, print_only: bool) -> None:
    """Collect one report; send it (through the spool) unless --print."""
    with _reported():
        settings = _settings(ctx)
        if print_only:
            report = collect_report(build_collectors(settings), host_name(settings), settings.interval_seconds)
            click.echo(json.dumps(report, indent=2))
            return
        result = Agent(settings).run_once()
    click.echo(f"sent {result.sent}, rejected {result.rejected}, waiting {result.waiting}"
               + (f" ({result.stopped_by})" if result.stopped_by else ""))


@agent.command("run")
@click.pass_context
def run(ctx) -> None:
    """Report every [agent] interval_seconds until stopped (SIGTERM or Ctrl-C)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    with _reported():
        worker = Agent(_settings(ctx))
    stop = {"now": False}
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.update(now=True))
    worker.run_forever(lambda: stop["now"])


@agent.command("status")
@click.pass_context
def status(ctx) -> None:
    """Show enrolment and the spool: reports waiting, dropped and rejected."""
    with _reported():
        worker = Agent(_settings(ctx))
    stats = worker.spool.stats()
    click.echo(f"agent {worker.state.agent_id} for {worker.state.host} -> {worker.state.console_url}")
    click.echo(f"spool: {stats.waiting} waiting ({stats.waiting_bytes} bytes), {stats.dropped} dropped, "
               f"{stats.rejected} rejected")


@click.group()
@click.option("-c", "--config", "config_path", type=click.Path(dir_okay=False), envvar="OPS_CONFIG",
              help="ops.toml with an [agent] section (default: ./ops.toml).")
def main(config_path: str | None) -> None:
    """Ops Console host agent."""


for _command in agent.commands.values():
    main.add_command(_command)
