"""`ops config`: check ops.toml and show the settings in force (secrets masked)."""

from __future__ import annotations

import json

import click


def register(main: click.Group) -> None:
    main.add_command(config)


@click.group()
def config() -> None:
    """Check and show ops.toml, the one configuration file."""


@config.command("check")
@click.pass_obj
def check(ctx) -> None:
    """Validate ops.toml and that every credential reference resolves; exit 2 with the key and line when not."""
    from console.availability.config_check import check_availability_groups
    from console.settings import check_secret_references

    settings = ctx.settings
    check_secret_references(settings)
    check_availability_groups(settings)
    click.echo(f"{settings.source}: ok")


@config.command("show")
@click.pass_obj
def show(ctx) -> None:
    """Print the settings in force as JSON; secrets are shown as '**********'."""
    data = ctx.settings.model_dump(mode="json")
    data["source"] = str(ctx.settings.source)
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))
