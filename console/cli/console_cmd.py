"""`ops console serve`: the web console under gunicorn (Flask's server only with --debug)."""

from __future__ import annotations

import os
import shutil

import click


def register(main: click.Group) -> None:
    main.add_command(console)


@click.group()
def console() -> None:
    """Run the web console and its JSON API."""


@console.command("serve")
@click.option("--host", default=None, help="Listen address (default: [console] host).")
@click.option("--port", type=int, default=None, help="Port (default: [console] port).")
@click.option("--workers", type=int, default=None, help="Gunicorn workers (default: [console] workers).")
@click.option("--debug", is_flag=True, help="Flask's development server with reload; never in production.")
@click.pass_obj
def serve(ctx, host: str | None, port: int | None, workers: int | None, debug: bool) -> None:
    """Serve the console (gunicorn, threads per worker from ops.toml)."""
    settings = ctx.settings
    ctx.checked_engine  # refuse to start on a database behind its migrations, naming it and the fix
    host, port = host or settings.console.host, port or settings.console.port
    workers = workers or settings.console.workers
    if debug:
        from console import create_app

        create_app(settings).run(host=host, port=port, debug=True)
        return
    if workers > 1:
        _multiprocess_metrics_dir(settings.paths.var_dir / "prometheus")
    from console.cli.gunicorn_app import ConsoleServer

    click.echo(f"Ops Console on http://{host}:{port}/ ({workers} workers)")
    ConsoleServer(settings, f"{host}:{port}", workers).run()


def _multiprocess_metrics_dir(path) -> None:
    """A clean folder for prometheus_client's per-worker files, emptied at each start."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
