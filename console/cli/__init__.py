"""`ops`: one command, a subcommand group per area.

Each area is a module with `register(main)`; this module only dispatches
and turns the part's errors into one line on stderr and an exit code.
"""

from __future__ import annotations

import click
from sqlalchemy.exc import InterfaceError, OperationalError

from console.errors import USER_ERRORS

LATER_AREAS = ("Compliance by information-system level: ops compliance systems, dossier, annual-report; "
               "incident deadlines: ops incidents.")


class OpsGroup(click.Group):
    """Catches USER_ERRORS (OpsError, rules' RulesError) once, for every subcommand: one line, its exit code.

    A database that refuses the work (full disk, server unreachable) is one line and exit 2 as well.
    """

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except USER_ERRORS as exc:
            click.echo(f"ops: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (OperationalError, InterfaceError) as exc:  # disk full, server down: what was committed stays
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
            click.echo(f"ops: error: the database refused the work: {reason}; the unit of work in progress was "
                       f"rolled back, what was committed before stays", err=True)
            ctx.exit(2)


@click.group(cls=OpsGroup, epilog=LATER_AREAS)
@click.option("-c", "--config", "config_path", type=click.Path(dir_okay=False), envvar="OPS_CONFIG",
              help="The ops.toml to use (default: ./ops.toml, or OPS_CONFIG).")
@click.version_option(package_name="ops-console")
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """Ops Console: security and infrastructure operations for a small IT department."""
    from console.cli.context import CliContext

    ctx.obj = CliContext(config_path)
    ctx.call_on_close(ctx.obj.close)


def _register_all() -> None:
    from console.cli import auth_cmd
    from console.cli import (agents_cmd, alerts_cmd, compliance_cmd, config_cmd, console_cmd, db_cmd, devices_cmd,
                             incidents_cmd, inventory_cmd, jobs_cmd, lab_cmd, notify_cmd, rules_cmd, scheduler_cmd,
                             systems_cmd, tasks_cmd, token_cmd, user_cmd)

    from probes.cli import agent

    for module in (config_cmd, console_cmd, db_cmd, user_cmd, token_cmd, inventory_cmd, agents_cmd, devices_cmd,
                   compliance_cmd, systems_cmd, incidents_cmd, scheduler_cmd, alerts_cmd, rules_cmd, jobs_cmd,
                   tasks_cmd, lab_cmd, notify_cmd):
        module.register(main)
    auth_cmd.register(main)
    from console.cli import availability_cmd, endpoints_cmd

    availability_cmd.register(main)
    endpoints_cmd.register(main)
    from console.cli import vulns_cmd

    vulns_cmd.register(main)
    main.add_command(agent)
    from console.wiring import register_areas

    register_areas()


_register_all()
