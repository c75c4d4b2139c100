"""`contact-center call`: an interactive phone that plays Twilio's part against the service."""

from __future__ import annotations

import click

from contact_center.cli.common import CliState
from contact_center.runtime import development_auth_token


def _default_auth_token() -> str | None:
    """The token the local service checks: configured, or the local development one."""
    state = click.get_current_context().find_object(CliState)
    if state is None:
        return None
    settings = state.settings
    return settings.twilio.auth_token or development_auth_token(settings)


def register(cli: click.Group) -> None:
    """Add the call command."""
    from callsim.cli import make_call_command

    cli.add_command(make_call_command(default_auth_token=_default_auth_token), "call")
