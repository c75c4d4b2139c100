"""A citizen's privacy requests end to end: find, export and erase what two messages and a written request left.

A caller leaves two messages (the simulator, the fake Twilio API copying the recordings into the
store), fails a code lookup, then writes through /scrivi giving the same number in another form
and an e-mail address. `privacy find` lists all of it, `privacy export` writes it with the
recordings, `privacy erase` leaves no trace of the number or the address in any table (a dump of
the database), file (the instance folder, the SQLite file) or object (the store, Twilio), and the
dossier's figures stay what they were.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select, text

from access import audit
from callsim.fake_api import FakeTwilioApi
from callsim.simulator import Simulator
from callsim.transport import WSGITransport
from contact_center.cli import cli
from contact_center.logs import JsonFormatter
from contact_center.schedule import configured_timetable
from contact_center.services import recording_store
from figures.compute import compute_figures
from figures.period import Period
from storage.models import AuditEntry, Base, CallbackMessage, LookupFailure, OutboxMail, Ticket
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, LINE_OPEN_AT
from tests.written_support import close_app, mail_app, submit
from tickets.repository import create_ticket
from tickets.status import Channel

PHONE = "+393331234567"
NATIONAL = "3331234567"
EMAIL = "mario.rossi@example.org"
NEIGHBOUR = "+390612345678"
NEEDLES = (PHONE, NATIONAL, "333 123 4567", EMAIL)
ROME = ZoneInfo("Europe/Rome")
PERIOD = Period(date(2026, 11, 1), date(2026, 11, 30), ROME)


@pytest.fixture
def fake_api() -> Iterator[FakeTwilioApi]:
    with FakeTwilioApi(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN) as api:
        yield api


@pytest.fixture
def app(database_url: str, tmp_path: Path, fake_api: FakeTwilioApi) -> Iterator[Flask]:
    # Mail is configured but no sender runs: the code mail waits in the outbox, holding the address.
    app = mail_app(database_url, tmp_path, "smtp://127.0.0.1:9", twilio={"api_base_url": fake_api.base_url})
    yield app
    close_app(app)


def config_file(app: Flask, tmp_path: Path, fake_api: FakeTwilioApi) -> Path:
    """The configuration the commands run with: the app's database, instance folder and Twilio."""
    settings = app.extensions["contact_center"].settings
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({
        "database": {"url": settings.database.url, "instance_dir": settings.database.instance_dir},
        "twilio": {"auth_token": AUTH_TOKEN, "account_sid": ACCOUNT_SID, "api_base_url": fake_api.base_url},
        "web": {"secret_key": settings.web.secret_key},
    }))
    return path


def neighbour_code(app: Flask) -> str:
    with app.extensions["contact_center"].sessions() as session:
        return session.scalars(select(Ticket.code).where(Ticket.contact_phone == NEIGHBOUR)).one()


def leave_message(simulator: Simulator, seconds: int) -> None:
    call = simulator.dial(from_=PHONE)
    call.press("3")
    call.press("1")
    call.record(seconds=seconds, finish_key="#")
    assert call.ended and call.errors == []


def fail_a_lookup(simulator: Simulator) -> None:
    call = simulator.dial(from_=PHONE)
    call.press("2")
    call.press("12345670#")
    assert call.errors == []


def figures(app: Flask) -> Any:
    runtime = app.extensions["contact_center"]
    with runtime.sessions() as session:
        return compute_figures(session, PERIOD, configured_timetable(runtime.settings))


def database_dump(app: Flask) -> str:
    """Every value of every table: SQLite's own dump, or on PostgreSQL every row of every table."""
    runtime = app.extensions["contact_center"]
    url = runtime.settings.database.url
    if url.startswith("sqlite"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            return "\n".join(connection.iterdump())
        finally:
            connection.close()
    lines = []
    with runtime.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            lines += [repr(tuple(row)) for row in connection.execute(text(f'SELECT * FROM "{table.name}"'))]
    return "\n".join(lines)


def files_naming(folder: Path, skip: Path) -> list[str]:
    """Files under `folder` whose bytes hold one of the needles."""
    found = []
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_relative_to(skip):
            data = path.read_bytes().lower()
            found += [f"{path.relative_to(folder)}: {needle}" for needle in NEEDLES if needle.lower().encode() in data]
    return found


def test_find_export_and_erase_a_callers_and_writers_data_everywhere(
        app: Flask, fake_api: FakeTwilioApi, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    runtime = app.extensions["contact_center"]
    simulator = Simulator(WSGITransport(app), auth_token=AUTH_TOKEN, public_base_url="http://localhost",
                          account_sid=ACCOUNT_SID, api_base_url=fake_api.base_url, recording_store=fake_api)
    leave_message(simulator, 14)
    leave_message(simulator, 9)
    fail_a_lookup(simulator)
    written = submit(app.test_client(), phone="333 123 4567", email=EMAIL)
    assert written.status_code == 200
    with runtime.sessions.begin() as session:  # an operator's note that spells the number
        audit.record(session, "anna", "callback_outcome", "richiamata 1", f"richiamato il {NATIONAL}",
                     at=LINE_OPEN_AT)
        # Somebody else's request that names the writer's address in its text.
        create_ticket(session, now=LINE_OPEN_AT, channel=Channel.PHONE, phone=NEIGHBOUR,
                      summary="Segnala anche il vicino, Mario.Rossi@Example.org, per la stessa crepa")
    # A write still waiting in the journal (the database was down a moment) names the caller too.
    runtime.journal.append("record_call_start", {"call_sid": "CA" + "f" * 32, "caller_number": PHONE,
                                                 "line_number": "+39800840840"}, LINE_OPEN_AT)
    store = recording_store(runtime.settings)
    with runtime.sessions() as session:
        keys = list(session.scalars(select(CallbackMessage.recording_path).where(
            CallbackMessage.recording_path.is_not(None))))
        codes = sorted(session.scalars(select(Ticket.code)))
        assert session.scalar(select(OutboxMail.recipient)) == EMAIL
        assert session.scalar(select(LookupFailure.caller_key)) is not None
    assert len(keys) == 2 and all(store.size(key) for key in keys) and len(codes) == 4
    codes.remove(neighbour_code(app))
    before = figures(app)
    assert before.callbacks.total == 1 and before.tickets.by_channel["web"] == 1
    config = config_file(app, tmp_path, fake_api)
    runner = CliRunner()

    found = runner.invoke(cli, ["--config", str(config), "privacy", "find", "--phone", "0039 333 1234567",
                                "--email", "Mario.Rossi@Example.org"])
    assert found.exit_code == 0, found.output
    assert all(code in found.output for code in codes)
    assert "richiamate (callback_requests): 1" in found.output  # both messages on one callback entry
    assert "messaggi (callback_messages): 2" in found.output
    assert "chiamate (calls): 3" in found.output and "e-mail (mail_outbox): 1" in found.output
    assert "registrazioni nell'archivio: 2" in found.output
    assert "ricerche di codici fallite (conservate come impronta del numero): 1" in found.output
    assert "scritture in attesa nel giornale: 1" in found.output
    assert "righe del registro delle azioni (console_audit_log): 1" in found.output
    assert "citato nel testo di altri record: 1 (tickets.summary " in found.output
    assert neighbour_code(app) not in found.output
    by_email = runner.invoke(cli, ["--config", str(config), "privacy", "find", "--email", EMAIL])
    assert "richieste (tickets): 1" in by_email.output and "e-mail (mail_outbox): 1" in by_email.output

    archive = tmp_path / "citizen" / "export.zip"
    exported = runner.invoke(cli, ["--config", str(config), "privacy", "export", "--phone", "+39 333 123 4567",
                                   "--email", EMAIL, "--out", str(archive)])
    assert exported.exit_code == 0, exported.output
    with zipfile.ZipFile(archive) as zipped:
        document = json.loads(zipped.read("dati.json"))
        assert sorted(ticket["code"] for ticket in document["records"]["tickets"]) == codes
        assert document["subject"] == {"phone": PHONE, "email": EMAIL}
        assert len(document["recordings"]) == 2
        for name, key in zip(sorted(document["recordings"]), sorted(keys), strict=True):
            stored = store.read(key)
            assert stored is not None and zipped.read(name) == b"".join(stored.chunks)

    assert all(needle in database_dump(app) for needle in (PHONE, EMAIL))  # the scans below can see them
    assert files_naming(tmp_path, skip=archive.parent)
    erased = runner.invoke(cli, ["--config", str(config), "privacy", "erase", "--phone", "333 1234567",
                                 "--email", EMAIL, "--yes"])
    assert erased.exit_code == 0, erased.output
    assert "registrazioni cancellate dall'archivio: 2, da Twilio: 2" in erased.output

    dump = database_dump(app)
    assert codes[0] in dump  # the dump is real: the tickets are still there, anonymous
    assert [needle for needle in NEEDLES if needle.lower() in dump.lower()] == []  # the address in any case
    assert files_naming(tmp_path, skip=archive.parent) == []
    with runtime.sessions() as session:  # the neighbour's request keeps its own contact and the rest of its text
        kept = session.scalars(select(Ticket).where(Ticket.contact_phone == NEIGHBOUR)).one()
        assert kept.summary == "Segnala anche il vicino, [cancellato], per la stessa crepa"
    assert [key for key in keys if store.size(key) is not None] == []
    assert len(fake_api.deleted_recordings) == 2
    assert figures(app) == before
    with runtime.sessions() as session:
        actions = list(session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("privacy_%"))
                                       .order_by(AuditEntry.id)))
    assert actions == ["privacy_find", "privacy_find", "privacy_export", "privacy_erase"]
    again = runner.invoke(cli, ["--config", str(config), "privacy", "find", "--phone", PHONE, "--email", EMAIL])
    assert "nessun dato trovato" in again.output
    logged = "\n".join(JsonFormatter().format(record) for record in caplog.records)  # as the service logs them
    assert caplog.records and [needle for needle in NEEDLES if needle in logged] == []
