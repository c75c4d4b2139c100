"""`contact-center serve`: migrate, then serve the app with gunicorn as production should."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import click
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from gunicorn.glogging import Logger

from contact_center.cli.common import CliState, pass_state
from contact_center.config import Settings
from contact_center.logs import configure_logging, logging_config
from storage.migrate import upgrade

METRICS_DIRECTORY_ENV = "PROMETHEUS_MULTIPROC_DIR"
DEFAULT_WORKERS = 3
DEFAULT_THREADS = 4


class _HangUpStops(Arbiter):  # type: ignore[misc]
    """gunicorn's arbiter, except that a hangup stops it gracefully, like SIGTERM, instead of reloading.

    `serve` runs in the foreground: SIGHUP means its terminal is gone (a closed window, `tmux
    kill-session`), and a reload would keep the port taken by a server nobody can stop with Ctrl-C.
    """

    def handle_hup(self) -> None:
        self.log.info("Hang up: stopping %s", self.master_name)
        raise StopIteration  # what handle_term does: run() then halts, workers finish their requests


def _worker_ignores_hangup(_worker: Any) -> None:
    """A closed terminal hangs up every process of the group: workers leave it to the arbiter."""
    signal.signal(signal.SIGHUP, signal.SIG_IGN)


def _worker_ready(worker: Any) -> None:
    """After a worker has built the app, before its first request."""
    from contact_center.app import freeze_startup_objects  # loaded with the app (see load)

    _worker_ignores_hangup(worker)
    freeze_startup_objects()


def _heartbeat_from_spawn(_arbiter: Any, worker: Any) -> None:
    """Start a new worker's heartbeat on the arbiter's monotonic clock, before it boots.

    Gunicorn compares its monotonic clock with the heartbeat file's mtime, which until the
    worker's first beat is the file's creation time on the wall clock. The two agree on no scale:
    with the wall clock moved (libfaketime, a test on another date) a booting worker looked 400 days
    late and was killed at once. From its spawn, a worker now has the full timeout to boot.
    """
    worker.tmp.notify()


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """Gunicorn serving an app built by our factory in each worker."""

    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        # Imported in the worker, after PROMETHEUS_MULTIPROC_DIR was set (see contact_center.metrics).
        from contact_center.app import create_app

        return create_app(self.settings)

    def run(self) -> None:
        """Serve until SIGINT, SIGTERM or SIGHUP."""
        try:
            _HangUpStops(self).run()
        except RuntimeError as error:  # as BaseApplication.run: gunicorn's start-up failures
            click.echo(f"\nError: {error}\n", err=True)
            raise SystemExit(1) from None


class NoAccessLog(Logger):  # type: ignore[misc]
    """gunicorn's logger without its access log: the app logs each webhook once, with its CallSid.

    With a logging configuration, gunicorn's own `access` would build every request's log atoms
    (headers, times, sizes) and hand them to a logger that prints nothing.
    """

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        return None


def gunicorn_options(bind: str, workers: int, threads: int, log_format: str) -> dict[str, Any]:
    """Gunicorn settings for the webhooks: threaded workers, Twilio's timeout, our JSON logs.

    The app logs one line per webhook with its CallSid, so gunicorn's access log is off. Workers
    ignore SIGHUP: the arbiter stops them gracefully when the terminal hangs up.
    """
    return {
        "bind": bind,
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": 30,
        "graceful_timeout": 20,
        "keepalive": 5,
        "accesslog": None,
        "logger_class": NoAccessLog,
        "logconfig_dict": logging_config(log_format),
        "pre_fork": _heartbeat_from_spawn,
        "post_worker_init": _worker_ready,
    }


def prepare_metrics_directory(instance_dir: str) -> Path:
    """An empty PROMETHEUS_MULTIPROC_DIR (the given one, or one in the instance folder)."""
    directory = Path(os.environ.get(METRICS_DIRECTORY_ENV) or Path(instance_dir) / "prometheus")
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ[METRICS_DIRECTORY_ENV] = str(directory)
    return directory


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=DEFAULT_WORKERS, show_default=True,
              help="Worker processes.")
@click.option("--threads", type=click.IntRange(1, 64), default=DEFAULT_THREADS, show_default=True,
              help="Threads per worker.")
@pass_state
def serve(state: CliState, host: str, port: int, workers: int, threads: int) -> None:
    """Apply migrations and serve the webhooks (gunicorn).

    Runs in the foreground until Ctrl-C, SIGTERM or SIGHUP (its terminal closed); requests in
    flight are finished first, except on Ctrl-C.
    """
    settings = state.settings
    configure_logging(settings.operations.log_format)
    runtime = state.runtime
    upgrade(runtime.engine)
    runtime.engine.dispose()
    prepare_metrics_directory(settings.database.instance_dir)
    click.echo(f"Contact Center {settings.line.number} in ascolto su http://{host}:{port} "
               f"(Voice URL /voice/incoming, Fallback URL /voice/fallback, Status Callback /voice/status)")
    _Gunicorn(settings, gunicorn_options(f"{host}:{port}", workers, threads,
                                         settings.operations.log_format)).run()


def register(cli: click.Group) -> None:
    """Add the serve command."""
    cli.add_command(serve)
