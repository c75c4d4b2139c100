"""«Scrivi al Contact Center»: the form, one ticket per form, its code on the page and by e-mail."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from contact_center.outgoing_mail import deliver_now
from contact_center.privacy_settings import PrivacySettings
from storage.models import OutboxMail, Ticket, WrittenSubmission
from tests.smtp_support import SmtpServer
from tests.written_support import close_app, form_token, mail_app, shown_code, submit, valid_form
from tickets.codes import format_code_for_display

NOTICE_URL = PrivacySettings().notice_url


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    running = SmtpServer().start()
    yield running
    running.stop()


@pytest.fixture
def app(database_url: str, tmp_path: Path, server: SmtpServer) -> Iterator[Flask]:
    app = mail_app(database_url, tmp_path, server.url)
    yield app
    close_app(app)


@pytest.fixture
def app_without_mail(sqlite_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = mail_app(sqlite_url, tmp_path, None)
    yield app
    close_app(app)


def count(app: Flask, model: type) -> int:
    with app.extensions["contact_center"].sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_the_form_says_112_first_and_labels_every_field(app: Flask) -> None:
    response = app.test_client().get("/scrivi")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Scrivi al Contact Center</h1>" in page
    assert page.index("Chiama subito il 112") < page.index("<form")
    for field_id, text in [("nome", "Nome e cognome (facoltativo)"), ("email", "Indirizzo e-mail"),
                           ("telefono", "Telefono (facoltativo)"), ("messaggio", "Testo della richiesta"),
                           ("consenso", "Ho letto l'informativa sul trattamento dei dati personali")]:
        assert f'<label for="{field_id}">{text}</label>' in page
    for topic in ("risks", "legislation", "department", "national_service", "campaigns", "other"):
        assert f'<input type="radio" id="argomento-{topic}" name="topic" value="{topic}"' in page
    assert "<legend>Argomento della richiesta</legend>" in page
    assert "Rischi sul territorio e norme di comportamento" in page
    assert "ai sensi del Regolamento (UE) 2016/679" in page  # the configured privacy notice
    assert re.search(r'name="token" value="[A-Za-z0-9_-]{24}"', page)
    assert 'aria-hidden="true"' in page and 'name="sito_web"' in page and 'tabindex="-1"' in page
    assert page.count(f'href="{NOTICE_URL}"') == 2  # the full privacy notice: by the consent box, in the footer
    outside = page.replace(NOTICE_URL, "")  # nothing else is fetched or linked elsewhere
    assert "http://" not in outside and "https://" not in outside and "<script" not in page
    assert "frame-ancestors" not in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_a_request_makes_a_ticket_shows_its_code_and_mails_it(app: Flask, server: SmtpServer) -> None:
    client = app.test_client()
    response = submit(client, email="Mario.Rossi@Example.ORG", message="Riga uno\r\nRiga due")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Richiesta inviata</h1>" in page
    code = shown_code(page)
    assert re.search(rf'<p class="code" id="codice"[^>]*>{format_code_for_display(code)}</p>', page)
    assert f'<a href="/status?code={code}">Controlla lo stato della richiesta</a>' in page
    assert "Ti invieremo il codice anche per e-mail all'indirizzo <strong>Mario.Rossi@example.org</strong>" in page
    with app.extensions["contact_center"].sessions() as session:
        ticket = session.scalars(select(Ticket)).one()
        assert (ticket.code, ticket.channel, ticket.topic, ticket.status) == (code, "web", "risks", "received")
        assert (ticket.contact_email, ticket.contact_phone) == ("Mario.Rossi@example.org", "+393471234567")
        assert ticket.summary == "Riga uno\nRiga due"
        assert ticket.history[0].changed_by == "modulo web"
        submission = session.scalars(select(WrittenSubmission)).one()
        assert (submission.citizen_name, submission.code_mailed) == ("Mario Rossi", True)
    assert deliver_now(app.extensions["contact_center"]).sent == 1
    [message] = server.mailbox.messages()
    assert message["To"] == "Mario.Rossi@example.org"
    assert f"{format_code_for_display(code)}" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert f"http://localhost/status?code={code}" in text and f'href="http://localhost/status?code={code}"' in html
    for words in ("Mario", "Riga uno", "crepe", "347"):  # what the form said never goes back out by mail
        assert words not in text and words not in html
    status = client.get(f"/status?code={code}").get_data(as_text=True)
    assert "La richiesta è stata ricevuta ed è in attesa di lavorazione." in status


def test_without_smtp_the_code_is_only_on_the_page(app_without_mail: Flask) -> None:
    client = app_without_mail.test_client()
    assert "Il codice della richiesta ti sarà mostrato solo in questa pagina" in client.get("/scrivi").get_data(
        as_text=True)
    page = submit(client).get_data(as_text=True)
    assert "Il codice è mostrato solo in questa pagina e non ti verrà inviato per e-mail: annotalo." in page
    shown_code(page)
    assert count(app_without_mail, Ticket) == 1 and count(app_without_mail, OutboxMail) == 0


def test_errors_are_tied_to_their_fields_and_the_values_stay(app: Flask) -> None:
    client = app.test_client()
    data = valid_form(topic="", email="mario.rossi@", message="", consent="", name="Anna Neri", phone="12")
    data["token"] = form_token(client)
    response = client.post("/scrivi", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<title>Errore: Scrivi al Contact Center" in page
    assert 'class="error-summary" role="alert"' in page
    assert '<a href="#email">L&#39;indirizzo e-mail non è valido' in page
    assert '<p class="field-error" id="email-errore">' in page
    assert 'aria-describedby="email-aiuto email-errore" aria-invalid="true"' in page
    assert 'aria-describedby="message-errore" aria-invalid="true"' not in page
    assert 'aria-describedby="messaggio-aiuto message-errore" aria-invalid="true"' in page
    assert 'aria-describedby="telefono-aiuto phone-errore" aria-invalid="true"' in page
    assert 'aria-describedby="privacy-testo consent-errore" aria-invalid="true"' in page
    assert '<fieldset aria-describedby="topic-errore">' in page
    assert 'value="Anna Neri"' in page and 'value="mario.rossi@"' in page
    assert f'value="{data["token"]}"' in page
    assert count(app, Ticket) == 0


def test_the_same_form_sent_twice_makes_one_ticket(app: Flask) -> None:
    client = app.test_client()
    token = form_token(client)
    first = shown_code(submit(client, token=token).get_data(as_text=True))
    again = submit(client, token=token).get_data(as_text=True)
    assert shown_code(again) == first
    assert "Questa richiesta era già stata inviata" in again
    assert count(app, Ticket) == 1 and count(app, OutboxMail) == 1


def test_a_double_click_racing_itself_makes_one_ticket(app: Flask) -> None:
    token = form_token(app.test_client())
    codes: list[str] = []
    errors: list[BaseException] = []

    def click() -> None:
        try:
            codes.append(shown_code(submit(app.test_client(), token=token).get_data(as_text=True)))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=click) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(codes)) == 1 and len(codes) == 6
    assert count(app, Ticket) == 1 and count(app, OutboxMail) == 1


def test_the_hidden_field_refuses_a_bot(app: Flask) -> None:
    client = app.test_client()
    response = submit(client, sito_web="http://spam.example")
    assert response.status_code == 400
    assert "Il modulo non può essere inviato così com'è." in response.get_data(as_text=True)
    assert count(app, Ticket) == 0 and count(app, OutboxMail) == 0


def test_line_breaks_never_reach_a_mail_header(app: Flask, server: SmtpServer) -> None:
    client = app.test_client()
    injected = "\r\nBcc: vittima@example.org\r\nSubject: vinci"
    for field in ("email", "topic", "phone"):
        response = submit(client, **{field: valid_form()[field] + injected})
        assert response.status_code == 400, field
    response = submit(client, name="Mario" + injected, message="Testo" + injected)
    assert response.status_code == 200
    deliver_now(app.extensions["contact_center"])
    [received] = server.mailbox.received
    assert received.rcpt_tos == ["mario.rossi@example.org"]
    assert received.message.get_all("Bcc") is None and len(received.message.get_all("Subject")) == 1
    assert b"vittima" not in received.raw
    with app.extensions["contact_center"].sessions() as session:
        assert session.scalar(select(WrittenSubmission.citizen_name)) == "Mario Bcc: vittima@example.org Subject: vinci"


def test_a_message_over_the_limit_is_refused_and_a_huge_body_never_read(app: Flask) -> None:
    client = app.test_client()
    response = submit(client, message="a" * 4001)
    assert response.status_code == 400
    assert "Il testo supera i 4000 caratteri: accorcialo." in response.get_data(as_text=True)
    assert submit(client, message="a" * 70_000).status_code == 413
    assert count(app, Ticket) == 0


def test_with_the_database_down_the_form_says_so_and_gives_the_text_back(app_without_mail: Flask) -> None:
    client = app_without_mail.test_client()
    token = form_token(client)
    app_without_mail.extensions["contact_center"].engine.dispose()
    database = Path(app_without_mail.extensions["contact_center"].settings.database.url.removeprefix("sqlite:///"))
    database.rename(database.with_suffix(".away"))
    database.mkdir()  # SQLite cannot open a folder: the database is unreachable
    response = submit(client, token=token, message="Crepe nel muro <b>portante</b>")
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"] == "60"
    assert "Il servizio non è disponibile in questo momento e la richiesta non è stata registrata." in page
    assert "Crepe nel muro &lt;b&gt;portante&lt;/b&gt;" in page
