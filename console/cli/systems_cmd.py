"""`ops compliance systems`, `dossier`, `annual-report`: information systems and the reports filed for them.

Registered into the `ops compliance` group (console.cli.compliance_cmd) so
that everything about compliance stays under one command.
"""

from __future__ import annotations

import json

import click

from console.cli.compliance_cmd import compliance
from console.services import system_assessment, systems


def register(main: click.Group) -> None:
    compliance.add_command(list_systems)


@click.command("systems")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_obj
def list_systems(ctx, as_json: bool) -> None:
    """Information systems: level, framework, approval date, hosts, percent met and transition gap (latest run)."""
    with ctx.session() as session:
        rows = [{**systems.system_as_dict(row), **system_assessment.latest_figures(session, row.key)}
                for row in systems.list_systems(session)]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    click.echo(f"{'system':<28} {'level':>5} {'framework':<12} {'approved':<10} {'hosts':>5} {'met':>7} "
               f"{'gap':>4}  name")
    for row in rows:
        met = "-" if row["percent_met"] is None else f"{row['percent_met']:.1f}%"
        gap = "-" if row["gap_count"] is None else str(row["gap_count"])
        click.echo(f"{row['key']:<28} {row['level']:>5} {row['framework']:<12} {row['approved_on'] or '-':<10} "
                   f"{len(row['hosts']):>5} {met:>7} {gap:>4}  {row['name_vi']}")
