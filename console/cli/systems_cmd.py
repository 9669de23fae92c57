"""`ops compliance systems`, `dossier`, `annual-report`: information systems and the reports filed for them.

Registered into the `ops compliance` group (console.cli.compliance_cmd) so
that everything about compliance stays under one command.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from console.cli.compliance_cmd import compliance
from console.compliance import dossier
from console.compliance import system_assessment
from console.systems import service as systems


def register(main: click.Group) -> None:
    for command in (list_systems, write_dossier, write_annual):
        compliance.add_command(command)


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


def _choices(option: str, allowed: tuple[str, ...], hint: str) -> list[str]:
    chosen = [part.strip() for part in option.split(",") if part.strip()]
    unknown = [part for part in chosen if part not in allowed]
    if unknown or not chosen:
        raise click.BadParameter(f"use a comma-separated list of {','.join(allowed)}", param_hint=hint)
    return chosen


def _write(ctx, kind: str, system_key: str | None, run_id: int | None, formats: str, langs: str, report_dir) -> None:
    chosen, locales = _choices(formats, dossier.FORMATS, "--format"), _choices(langs, dossier.LOCALES, "--lang")
    with ctx.session() as session:
        data = dossier.collect(session, kind, system_key, run_id)
    written = dossier.write(data, report_dir or ctx.settings.compliance.report_dir, chosen, locales)
    click.echo("\n".join(str(path) for path in written))


@click.command("dossier")
@click.argument("system")
@click.option("--run", "run_id", type=int, default=None, help="The run to report (default: the system's latest).")
@click.option("--format", "formats", default="html,pdf,csv,json", show_default=True)
@click.option("--lang", "langs", default="vi,en", show_default=True)
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write (default: [compliance] report_dir).")
@click.pass_obj
def write_dossier(ctx, system: str, run_id, formats: str, langs: str, report_dir) -> None:
    """The level dossier of one system: its level, legal basis and every requirement with status and evidence."""
    _write(ctx, "dossier", system, run_id, formats, langs, report_dir)


@click.command("annual-report")
@click.option("--run", "run_id", type=int, default=None, help="The run to report (default: the latest).")
@click.option("--format", "formats", default="html,pdf,csv,json", show_default=True)
@click.option("--lang", "langs", default="vi,en", show_default=True)
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), default=None)
@click.pass_obj
def write_annual(ctx, run_id, formats: str, langs: str, report_dir) -> None:
    """The annual security report for every system (due by 20 December: TT 12/2022 Điều 13.4, NĐ 331/2026 Điều 35.4)."""
    _write(ctx, "annual", None, run_id, formats, langs, report_dir)
