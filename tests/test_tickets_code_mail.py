"""A ticket opened with an e-mail address by the integrators' API or the CLI mails its code, like /scrivi."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from access.tokens import create_token
from contact_center.cli import cli
from contact_center.outgoing_mail import deliver_now
from storage.models import OutboxMail, Ticket
from tests.conftest import LINE_OPEN_AT
from tests.smtp_support import SmtpServer
from tests.written_support import MAIL_FROM, close_app, mail_app

ADDRESS = "anna.bianchi@example.org"


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    running = SmtpServer().start()
    yield running
    running.stop()


def _api_token(app: Flask) -> dict[str, str]:
    with app.extensions["contact_center"].sessions.begin() as session:
        secret = create_token(session, "sito-web", now=LINE_OPEN_AT, scopes=("tickets:read", "tickets:write"))[1]
    return {"Authorization": f"Bearer {secret}"}


def _body(**changes: object) -> dict[str, object]:
    return {"channel": "email", "topic": "risks", "summary": "Crepe nel muro dopo la scossa", "email": ADDRESS,
            **changes}


def test_the_api_mails_the_code_to_the_citizen(database_url: str, tmp_path: Path, server: SmtpServer) -> None:
    app = mail_app(database_url, tmp_path, server.url)
    try:
        created = app.test_client().post("/api/tickets", json=_body(), headers=_api_token(app))
        assert created.status_code == 201
        ticket = created.get_json()
        assert ticket["code_mailed"] is True
        report = deliver_now(app.extensions["contact_center"])
        assert report.sent == 1
        [message] = server.mailbox.messages()
        assert message["To"] == ADDRESS
        assert re.sub(r"\D", "", message["Subject"].split(" ricevuta")[0]) == ticket["code"]
        assert f"/status?code={ticket['code']}" in message.get_body(("plain",)).get_content()
    finally:
        close_app(app)


def test_the_api_sends_nothing_when_asked_not_to_or_without_an_address(
        database_url: str, tmp_path: Path, server: SmtpServer) -> None:
    app = mail_app(database_url, tmp_path, server.url)
    try:
        client, headers = app.test_client(), _api_token(app)
        quiet = client.post("/api/tickets", json=_body(send_code=False), headers=headers)
        no_address = client.post("/api/tickets", json=_body(channel="phone", email=None, phone="347 123 4567"),
                                 headers=headers)
        assert (quiet.status_code, no_address.status_code) == (201, 201)
        assert quiet.get_json()["code_mailed"] is False and no_address.get_json()["code_mailed"] is False
        with app.extensions["contact_center"].sessions() as session:
            assert session.scalars(select(OutboxMail.id)).all() == []
            assert len(session.scalars(select(Ticket.id)).all()) == 2
    finally:
        close_app(app)


def test_the_api_without_an_smtp_server_says_no_code_was_mailed(database_url: str, tmp_path: Path) -> None:
    app = mail_app(database_url, tmp_path, None)
    try:
        created = app.test_client().post("/api/tickets", json=_body(), headers=_api_token(app))
        assert created.status_code == 201 and created.get_json()["code_mailed"] is False
    finally:
        close_app(app)


def test_the_cli_queues_the_code_mail_and_says_so(database_url: str, tmp_path: Path, server: SmtpServer) -> None:
    app = mail_app(database_url, tmp_path, server.url)  # migrates the database; the CLI shares it
    config = tmp_path / "config.yaml"
    config.write_text(f"database:\n  url: '{database_url}'\n  instance_dir: '{tmp_path / 'instance'}'\n"
                      f"mail:\n  smtp_url: '{server.url}'\n  from_address: '{MAIL_FROM}'\n"
                      f"  background_sender: false\n", "utf-8")
    try:
        opened = CliRunner().invoke(cli, ["--config", str(config), "tickets", "open", "--channel", "letter",
                                          "--topic", "risks", "--email", ADDRESS, "--summary", "Lettera del sindaco"])
        assert opened.exit_code == 0, opened.output
        code = opened.stdout.strip()
        assert f"Codice in invio per e-mail a {ADDRESS}." in opened.stderr
        quiet = CliRunner().invoke(cli, ["--config", str(config), "tickets", "open", "--channel", "letter",
                                         "--email", ADDRESS, "--summary", "Seconda lettera", "--no-send-code"])
        assert quiet.exit_code == 0 and "Codice in invio" not in quiet.stderr
        runtime = app.extensions["contact_center"]
        with runtime.sessions() as session:  # the CLI stamped the mail with its own (real) clock
            [due] = session.scalars(select(OutboxMail.next_attempt_at)).all()
        runtime.clock = lambda: due.replace(tzinfo=UTC) + timedelta(seconds=1)
        assert deliver_now(runtime).sent == 1
        [message] = server.mailbox.messages()
        assert re.sub(r"\D", "", message["Subject"].split(" ricevuta")[0]) == code
    finally:
        close_app(app)
