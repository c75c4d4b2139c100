"""The console's written channel: «Rispondi», «Nuova richiesta» and its receipt, the outbox, status notices."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from access.accounts import Role
from contact_center.cli import cli
from contact_center.outgoing_mail import deliver_now
from storage.models import AuditEntry, OutboxMail, Ticket, TicketReply
from tests.conftest import make_settings
from tests.smtp_support import SmtpServer
from tests.test_console_support import create_account, post_form, sign_in
from tests.written_support import MAIL_FROM, close_app, mail_app, shown_code, submit
from tickets.codes import format_code_for_display
from tickets.repository import create_ticket
from tickets.status import Channel


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    running = SmtpServer().start()
    yield running
    running.stop()


@pytest.fixture
def app(database_url: str, tmp_path: Path, server: SmtpServer) -> Iterator[Flask]:
    app = mail_app(database_url, tmp_path, server.url, mail={"notify_status_changes": True})
    create_account(app, "Olga Operatrice", Role.OPERATOR)
    create_account(app, "Sara Supervisore", Role.SUPERVISOR)
    yield app
    close_app(app)


def operator(app: Flask, name: str = "Olga Operatrice") -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, name).status_code == 302
    return client


def web_request(app: Flask) -> str:
    return shown_code(submit(app.test_client()).get_data(as_text=True))


def test_an_operator_answers_by_mail_and_closes_the_request(app: Flask, server: SmtpServer) -> None:
    code = web_request(app)
    client = operator(app)
    page = client.get(f"/console/tickets/{code}").get_data(as_text=True)
    assert '<h2 id="rispondi">Rispondi</h2>' in page
    assert '<label for="reply">Testo della risposta</label>' in page
    assert "Scritta da: <strong>Mario Rossi</strong>" in page
    assert "codice della richiesta" in page  # the code mail, listed with the ticket
    answer = "Buongiorno,\r\nsi rivolga al Comune.\r\n\r\nCordiali saluti"
    response = post_form(client, f"/console/tickets/{code}/reply", {"reply": answer, "close": "si"},
                         page=f"/console/tickets/{code}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/console/tickets/{code}#risposte")
    page = client.get(f"/console/tickets/{code}").get_data(as_text=True)
    assert "Risposta inviata al cittadino e richiesta chiusa." in page
    assert '<h2 id="risposte">Risposte inviate</h2>' in page
    assert "si rivolga al Comune." in page and "La risposta ha chiuso la richiesta." in page
    assert '<dd id="stato-richiesta">chiusa</dd>' in page
    runtime = app.extensions["contact_center"]
    assert deliver_now(runtime).sent == 2
    reply_mail = server.mailbox.messages()[1]
    assert reply_mail["Subject"].startswith(f"Risposta alla richiesta {format_code_for_display(code)}")
    assert reply_mail["To"] == "mario.rossi@example.org" and reply_mail["Auto-Submitted"] is None
    assert "si rivolga al Comune." in reply_mail.get_body(("plain",)).get_content()
    assert "si rivolga al Comune.<br>" not in reply_mail.get_body(("html",)).get_content()
    with runtime.sessions() as session:
        stored = session.scalars(select(TicketReply)).one()
        assert (stored.author, stored.closed_ticket) == ("Olga Operatrice", True)
        assert stored.body == "Buongiorno,\nsi rivolga al Comune.\n\nCordiali saluti"
        ticket = session.scalars(select(Ticket)).one()
        assert (ticket.history[-1].changed_by, ticket.history[-1].note) == ("Olga Operatrice",
                                                                            "Risposta inviata per e-mail.")
        kinds = session.scalars(select(OutboxMail.kind).order_by(OutboxMail.id)).all()
        assert kinds == ["code", "reply"]  # closing by an answer sends no separate notice
        assert session.scalars(select(AuditEntry.action).where(AuditEntry.action == "ticket_reply")).one()


def test_an_empty_answer_is_refused_and_a_ticket_without_address_has_no_reply_form(app: Flask) -> None:
    code = web_request(app)
    client = operator(app)
    post_form(client, f"/console/tickets/{code}/reply", {"reply": "   "}, page=f"/console/tickets/{code}")
    assert "Scrivi il testo della risposta." in client.get(f"/console/tickets/{code}").get_data(as_text=True)
    with app.extensions["contact_center"].sessions.begin() as session:
        phone_code = create_ticket(session, channel=Channel.PHONE, phone="+393471234567",
                                   now=app.extensions["contact_center"].clock()).code
    page = client.get(f"/console/tickets/{phone_code}").get_data(as_text=True)
    assert "<h1>Richiesta" in page and "Rispondi" not in page


def test_status_changes_of_written_requests_are_mailed_when_configured(app: Flask, server: SmtpServer) -> None:
    code = web_request(app)
    client = operator(app)
    post_form(client, f"/console/tickets/{code}/status", {"status": "forwarded", "institution": "Regione Lazio"},
              page=f"/console/tickets/{code}")
    deliver_now(app.extensions["contact_center"])
    notice = server.mailbox.messages()[-1]
    assert notice["Subject"].startswith(f"Richiesta {format_code_for_display(code)}: inoltrata all'ente competente")
    assert "La richiesta è stata inoltrata all'ente competente: Regione Lazio." in notice.get_body(
        ("plain",)).get_content()
    assert notice["Auto-Submitted"] == "auto-generated"


def test_no_status_notice_unless_configured(sqlite_url: str, tmp_path: Path, server: SmtpServer) -> None:
    app = mail_app(sqlite_url, tmp_path, server.url)
    try:
        create_account(app, "Olga Operatrice", Role.OPERATOR)
        code = web_request(app)
        post_form(operator(app), f"/console/tickets/{code}/status", {"status": "in_progress"},
                  page=f"/console/tickets/{code}")
        with app.extensions["contact_center"].sessions() as session:
            assert session.scalars(select(OutboxMail.kind)).all() == ["code"]
    finally:
        close_app(app)


def test_nuova_richiesta_for_a_letter_gives_a_code_and_a_printable_receipt(app: Flask) -> None:
    client = operator(app)
    form = client.get("/console/tickets/new?channel=letter").get_data(as_text=True)
    assert "<h1>Nuova richiesta</h1>" in form
    assert '<option value="letter" selected>lettera</option>' in form
    assert '<label for="message">Sintesi della richiesta</label>' in form
    token = re.search(r'name="token" value="([^"]+)"', form)[1]
    data = {"channel": "letter", "topic": "legislation", "name": "Giulia Bianchi", "phone": "06 1234 5678",
            "message": "Chiede copia della normativa sui piani comunali.", "token": token}
    response = post_form(client, "/console/tickets/new", data, page="/console/tickets/new")
    assert response.status_code == 302
    again = post_form(client, "/console/tickets/new", data, page="/console/tickets/new")
    assert again.headers["Location"] == response.headers["Location"]  # a double click: one ticket
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    code = re.search(r'<p class="big-code" id="codice">([\d ]+)</p>', done)[1].replace(" ", "")
    assert "<h1>Richiesta registrata</h1>" in done and "Stampa la ricevuta" in done
    receipt = client.get(f"/console/tickets/{code}/receipt").get_data(as_text=True)
    assert "<h1>Ricevuta della richiesta</h1>" in receipt
    assert f'<p class="code">{format_code_for_display(code)}</p>' in receipt
    assert "Richiesta di: <strong>Giulia Bianchi</strong>" in receipt
    assert "per lettera" in receipt and "numero verde 800 840 840, tasto 2" in receipt
    with app.extensions["contact_center"].sessions() as session:
        ticket = session.scalars(select(Ticket)).one()
        assert (ticket.code, ticket.channel, ticket.topic, ticket.contact_phone) == (
            code, "letter", "legislation", "+390612345678")
        assert ticket.history[0].changed_by == "Olga Operatrice"
        assert session.scalars(select(OutboxMail)).all() == []


def test_nuova_richiesta_checks_its_fields_and_mails_the_code_when_asked(app: Flask, server: SmtpServer) -> None:
    client = operator(app)
    response = post_form(client, "/console/tickets/new", {"channel": "email", "topic": "", "message": ""},
                         page="/console/tickets/new")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Scegli l&#39;argomento della richiesta." in page and "Scrivi il testo della richiesta." in page
    assert 'id="email-errore"' in page  # the e-mail channel needs an address
    response = post_form(client, "/console/tickets/new", {"channel": "email", "topic": "risks", "message": "Domanda",
                                                          "email": "anna@example.org", "send_code": "si"},
                         page="/console/tickets/new")
    assert response.status_code == 302
    assert "Il codice viene inviato per e-mail a <strong>anna@example.org</strong>" in client.get(
        response.headers["Location"]).get_data(as_text=True)
    deliver_now(app.extensions["contact_center"])
    assert server.mailbox.messages()[0]["To"] == "anna@example.org"


def test_supervisors_see_failed_mails_and_retry_them(app: Flask, server: SmtpServer) -> None:
    server.mailbox.rcpt_reply = "550 5.1.1 Casella inesistente"
    code = web_request(app)
    deliver_now(app.extensions["contact_center"])
    assert operator(app).get("/console/mail").status_code == 403
    client = operator(app, "Sara Supervisore")
    page = client.get("/console/mail").get_data(as_text=True)
    assert "<h1>Posta in uscita</h1>" in page
    assert '<dd id="non-recapitate">1</dd>' in page
    assert "550 5.1.1 Casella inesistente" in page and f">{code}</a>" in page
    mail_id = re.search(r'action="/console/mail/(\d+)/retry"', page)[1]
    server.mailbox.rcpt_reply = "250 OK"
    post_form(client, f"/console/mail/{mail_id}/retry", {}, page="/console/mail")
    assert '<dd id="non-recapitate">0</dd>' in client.get("/console/mail").get_data(as_text=True)
    assert deliver_now(app.extensions["contact_center"]).sent == 1
    health = app.test_client().get("/healthz").get_json()
    assert (health["mail_backlog"], health["mail_failed"]) == (0, 0)


def test_the_outbox_in_metrics_and_on_the_command_line(database_url: str, tmp_path: Path,
                                                       server: SmtpServer) -> None:
    app = mail_app(database_url, tmp_path, server.url, operations={"metrics_token": "segreto"})
    try:
        server.mailbox.rcpt_reply = "550 5.1.1 Casella inesistente"
        submit(app.test_client())
        metrics = app.test_client().get("/metrics", headers={"Authorization": "Bearer segreto"}).get_data(
            as_text=True)
        assert "contact_center_mail_outbox_backlog 1.0" in metrics
        assert "contact_center_mail_outbox_failed 0.0" in metrics
    finally:
        close_app(app)
    config = tmp_path / "config.yaml"
    settings = make_settings(database_url, tmp_path / "instance", mail={"smtp_url": server.url,
                                                                         "from_address": MAIL_FROM})
    config.write_text(settings.model_dump_json(), "utf-8")
    runner = CliRunner()
    sent = runner.invoke(cli, ["--config", str(config), "mail", "send"])
    assert sent.exit_code == 0, sent.output
    assert "0 inviate, 0 rimandate, 1 non recapitate" in sent.output
    listed = runner.invoke(cli, ["--config", str(config), "mail", "list", "--status", "failed"])
    assert "non recapitata" in listed.output and "550 5.1.1 Casella inesistente" in listed.output
    server.mailbox.rcpt_reply = "250 OK"
    assert "1 e-mail di nuovo in coda" in runner.invoke(cli, ["--config", str(config), "mail", "retry",
                                                              "--all-failed"]).output
    assert "1 inviate" in runner.invoke(cli, ["--config", str(config), "mail", "send"]).output
    assert len(server.mailbox.messages()) == 1
