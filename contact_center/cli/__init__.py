"""`contact-center`: every command of the service in one console script."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import click
from sqlalchemy.exc import OperationalError

import contact_center.cli as cli_package
from contact_center.cli.common import CliState
from contact_center.config import ConfigError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", envvar="CONTACT_CENTER_CONFIG", default=None,
              metavar="PATH", help="YAML configuration (default ./config.yaml).")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """Contact Center 800 840 840: service, database, callbacks and the call simulator."""
    ctx.obj = CliState(config_path)


for _module_info in pkgutil.iter_modules(cli_package.__path__):
    _module = importlib.import_module(f"contact_center.cli.{_module_info.name}")
    if hasattr(_module, "register"):
        _module.register(cli)


def main() -> None:
    """Entry point: known failures become one clear line and a non-zero exit status."""
    try:
        cli.main(prog_name="contact-center", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except ConfigError as error:
        click.echo(f"contact-center: configuration error: {error}", err=True)
        sys.exit(2)
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        click.echo(f"contact-center: cannot reach the database: {reason}", err=True)
        sys.exit(1)
