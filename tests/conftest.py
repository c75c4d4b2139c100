"""Shared fixtures: settings, apps on SQLite and PostgreSQL, signed Twilio requests."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker
from twilio.request_validator import RequestValidator

from contact_center.app import create_app
from contact_center.config import Settings, settings_from_mapping
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "0" * 32
PUBLIC_ORIGIN = "http://localhost"
LINE_OPEN_AT = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Europe/Rome"))  # a Wednesday, staffed
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

# The Playwright tests' fixtures (`page`, `browser`, `operator_site`, `twilio_site`), for every module.
pytest_plugins = ["tests.browser_support"]


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A private, empty PostgreSQL database for this test session (required, never skipped)."""
    name = f"cc_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # a clear failure, not a skip: PostgreSQL tests must run
        pytest.fail(f"PostgreSQL is required at {POSTGRES_ADMIN_URL}: {exc}", pytrace=False)
    yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as connection:
        connection.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"), {"name": name})
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def _reset_postgres(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each kind: an SQLite file, then a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'contact-center.db'}"
    url = request.getfixturevalue("postgres_server_url")
    _reset_postgres(url)
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated database of each kind (a module may define its own `engine` instead)."""
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions on the migrated database (a module may define its own `sessions` instead)."""
    return make_session_factory(engine)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """An SQLite file for tests that do not depend on the database kind."""
    return f"sqlite:///{tmp_path / 'contact-center.db'}"


def make_settings(database_url: str, instance_dir: Path, **sections: dict[str, Any]) -> Settings:
    """Test settings: a known auth token, a private instance folder, the given overrides."""
    data: dict[str, Any] = {
        "database": {"url": database_url, "instance_dir": str(instance_dir)},
        "twilio": {"auth_token": AUTH_TOKEN, "account_sid": ACCOUNT_SID},
        "web": {"secret_key": "test-secret"},
    }
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return settings_from_mapping(data)


def make_app(settings: Settings) -> Flask:
    """An app with its schema migrated, whose clock stays at LINE_OPEN_AT.

    Flows that depend on the opening hours so behave the same whenever the tests run; a test
    about another instant sets `app.extensions["contact_center"].clock` itself.
    """
    app = create_app(settings)
    runtime = app.extensions["contact_center"]
    runtime.clock = lambda: LINE_OPEN_AT
    upgrade(runtime.engine)
    return app


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings on the parametrized database."""
    return make_settings(database_url, tmp_path / "instance")


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    """The app on the parametrized database, migrated."""
    app = make_app(settings)
    yield app
    app.extensions["contact_center"].engine.dispose()


@pytest.fixture
def sqlite_app(sqlite_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app on SQLite only, for tests about behaviour rather than storage."""
    app = make_app(make_settings(sqlite_url, tmp_path / "instance"))
    yield app
    app.extensions["contact_center"].engine.dispose()


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    """The X-Twilio-Signature Twilio would send."""
    return RequestValidator(token).compute_signature(url, params)


def post_signed(client: FlaskClient, path: str, params: dict[str, str],
                origin: str = PUBLIC_ORIGIN, token: str = AUTH_TOKEN) -> Any:
    """POST a form as Twilio would, signed over origin + path."""
    return client.post(path, data=params, headers={"X-Twilio-Signature": sign(origin + path, params, token)})


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With REQUIRE_POSTGRES_TESTS=1 (CI), a run in which no PostgreSQL test passed fails."""
    if os.environ.get("REQUIRE_POSTGRES_TESTS") != "1" or exitstatus != 0:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    passed = reporter.stats.get("passed", []) if reporter else []
    if not any("postgres" in report.keywords for report in passed):
        print("\nno PostgreSQL test ran: failing the run (REQUIRE_POSTGRES_TESTS=1)")
        session.exitstatus = 1
