"""What a running service holds: settings, prompts, database, journal, auth token."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Final, cast

from flask import Flask, current_app
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from contact_center.config import Settings
from contact_center.durable import DurableWriter
from contact_center.prompts import HOME_LANGUAGE, Prompts, load_catalog
from contact_center.schedule import LiveSchedule, configured_timetable
from hours.clock import utcnow
from storage.db import autocommit_engine, make_engine, make_session_factory
from storage.journal import Journal

log = logging.getLogger(__name__)

DEV_TOKEN_FILE = "twilio-dev-auth-token"
SECRET_KEY_FILE = "console-secret-key"
EXTENSION: Final = "contact_center"


@dataclass
class Runtime:
    """The service's long-lived parts, built once per process by the app factory."""

    settings: Settings
    prompts: Prompts
    engine: Engine
    autocommit: Engine  # the engine in autocommit: a single statement is its own transaction (one round trip)
    sessions: sessionmaker[Session]
    journal: Journal
    writer: DurableWriter
    auth_token: str
    schedule: LiveSchedule
    secret_key: str  # signs cookies and keys the hashes of callers' numbers; never empty
    clock: Callable[[], datetime] = utcnow  # the current instant (UTC); tests set their own
    catalog: Mapping[str, Prompts] = field(default_factory=dict)  # the prompts of every language

    def prompts_in(self, language: str) -> Prompts:
        """The prompts of `language` (the home language's for an unknown one)."""
        return self.catalog.get(language, self.prompts)

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        """Build every part from the settings (no connection is opened yet)."""
        engine = make_engine(settings.database.url)
        autocommit = autocommit_engine(engine)
        sessions = make_session_factory(engine)
        journal = Journal(Path(settings.database.instance_dir) / "journal")
        catalog = load_catalog({"it": settings.ivr.prompts_file, "en": settings.ivr.english_prompts_file})
        return cls(
            settings=settings,
            prompts=catalog[HOME_LANGUAGE],
            catalog=catalog,
            engine=engine,
            autocommit=autocommit,
            sessions=sessions,
            journal=journal,
            writer=DurableWriter(sessions, journal, settings.operations.replay_interval_seconds,
                                 autocommit=autocommit),
            auth_token=settings.twilio.auth_token or development_auth_token(settings),
            schedule=LiveSchedule.for_engine(configured_timetable(settings), engine),
            secret_key=settings.web.secret_key or instance_secret_key(settings),
        )

    @property
    def own_numbers(self) -> frozenset[str]:
        """The line's own numbers, which are never a callback number."""
        return frozenset({self.settings.line.number})


def instance_secret_key(settings: Settings) -> str:
    """A random key kept in the instance folder (0600), used when no SECRET_KEY is configured.

    An empty key would make the keyed hashes of callers' numbers reversible by enumeration.
    """
    path = Path(settings.database.instance_dir) / SECRET_KEY_FILE
    if not path.exists():
        # Written whole under a private name, then linked: another worker sees no key or the whole key.
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_hex(32))
        try:
            os.link(draft, path)
            log.warning("SECRET_KEY is not set: cookies and callers' hashes use the key in %s", path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    key = path.read_text("utf-8").strip()
    if not key:
        raise RuntimeError(f"{path} is empty: delete it to have a new key made, or set SECRET_KEY")
    return key


def development_auth_token(settings: Settings) -> str:
    """A random local token used when no Twilio auth token is configured.

    Real Twilio requests are then refused (their signatures do not match), while the call
    simulator on this machine reads the same file and signs its requests with it.
    """
    path = Path(settings.database.instance_dir) / DEV_TOKEN_FILE
    try:
        return path.read_text("utf-8").strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        token = secrets.token_hex(16)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text("utf-8").strip()
        with os.fdopen(fd, "w") as file:
            file.write(token)
        log.warning("TWILIO_AUTH_TOKEN is not set: using the local development token in %s; "
                    "requests signed by the real Twilio will be refused", path)
        return token


def current_runtime(app: Flask | None = None) -> Runtime:
    """The running service's parts: of `app`, or of the app handling the current request.

    The one accessor: every face and the app factory reach the runtime through it.
    """
    return cast(Runtime, (app or current_app).extensions[EXTENSION])
