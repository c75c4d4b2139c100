"""What every command shares: the settings and the runtime, loaded once, on demand."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import click

from contact_center.config import Settings, load_settings
from contact_center.outgoing_mail import install as install_mail_hooks
from contact_center.runtime import Runtime
from storage.migrate import is_up_to_date


@dataclass
class CliState:
    """The configuration path given on the command line and what was built from it."""

    config_path: str | None
    _settings: Settings | None = field(default=None, repr=False)
    _runtime: Runtime | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        """The validated configuration (ConfigError on a bad file)."""
        if self._settings is None:
            self._settings = load_settings(self.config_path)
        return self._settings

    @property
    def runtime(self) -> Runtime:
        """The service's parts (database engine, journal, prompts)."""
        if self._runtime is None:
            self._runtime = Runtime.build(self.settings)
            install_mail_hooks(self._runtime)
        return self._runtime

    def migrated_runtime(self) -> Runtime:
        """The runtime, refusing to work on a database whose schema is not current."""
        runtime = self.runtime
        if not is_up_to_date(runtime.engine):
            raise click.ClickException("the database schema is not current: run `contact-center db upgrade`")
        return runtime


pass_state = click.make_pass_decorator(CliState)


def local_time(moment: datetime | None, zone: ZoneInfo) -> str:
    """A moment as operators read it, in the line's time zone: '27/11/2026 21:15' ('-' for none)."""
    return moment.astimezone(zone).strftime("%d/%m/%Y %H:%M") if moment else "-"
