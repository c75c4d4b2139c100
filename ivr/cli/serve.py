"""`contact-center serve`: migrate, then serve the app with gunicorn."""

from __future__ import annotations

import logging
from typing import Any

import click
from gunicorn.app.base import BaseApplication

from ivr.app import create_app
from ivr.cli.common import CliState, pass_state
from storage.migrate import upgrade


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """Gunicorn serving an app built by our factory in each worker."""

    def __init__(self, state: CliState, options: dict[str, Any]) -> None:
        self.state = state
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return create_app(self.state.settings)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True)
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True)
@pass_state
def serve(state: CliState, host: str, port: int, workers: int, threads: int) -> None:
    """Apply migrations and serve the webhooks (gunicorn)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    runtime = state.runtime
    upgrade(runtime.engine)
    runtime.engine.dispose()
    click.echo(f"Contact Center {runtime.settings.line.number} listening on http://{host}:{port} "
               f"(Voice URL /voice/incoming, Fallback /voice/fallback, Status /voice/status)")
    _Gunicorn(state, {"bind": f"{host}:{port}", "workers": workers, "threads": threads,
                      "worker_class": "gthread", "timeout": 30, "accesslog": "-"}).run()


def register(cli: click.Group) -> None:
    """Add the serve command."""
    cli.add_command(serve)
