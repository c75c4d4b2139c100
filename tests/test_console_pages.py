"""The console's pages on both databases: tickets (search, history, status changes) and Today."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from access.accounts import Role
from console.chart import bar_chart
from figures.today import today_figures
from hours.clock import DayWindow
from storage.models import AuditEntry, Call, CallbackAttempt, CallbackRequest
from tests.conftest import LINE_OPEN_AT, make_app
from tests.test_console_support import create_account, post_form, sign_in
from tickets.codes import format_code_for_display
from tickets.repository import create_ticket, find_by_code
from tickets.status import Channel, Topic

ROME = ZoneInfo("Europe/Rome")


@pytest.fixture
def console_app(settings) -> Iterator[Flask]:
    app = make_app(settings)
    create_account(app, "Olga Operatrice", Role.OPERATOR)
    yield app
    app.extensions["contact_center"].engine.dispose()


@pytest.fixture
def client(console_app: Flask) -> FlaskClient:
    client = console_app.test_client()
    assert sign_in(client, "Olga Operatrice").status_code == 302
    return client


def _ticket(app: Flask, phone: str | None = "+393471234567") -> str:
    with app.extensions["contact_center"].sessions.begin() as session:
        return create_ticket(session, channel=Channel.VOICEMAIL, topic=Topic.RISKS, phone=phone,
                             summary="Allerta meteo nel comune", now=LINE_OPEN_AT).code


def _status_of(app: Flask, code: str) -> tuple[str, str | None, list[tuple[str, str, str]]]:
    with app.extensions["contact_center"].sessions() as session:
        ticket = find_by_code(session, code)
        return ticket.status, ticket.forwarded_to, [(s.to_status, s.changed_by, s.note) for s in ticket.history]


def test_search_by_code_opens_the_ticket_with_its_history(console_app: Flask, client: FlaskClient) -> None:
    code = _ticket(console_app)
    found = client.get("/console/tickets", query_string={"q": f" {code[:4]} {code[4:]} "})
    assert found.status_code == 302 and found.headers["Location"] == f"/console/tickets/{code}"
    page = client.get(found.headers["Location"]).get_data(as_text=True)
    assert f"Richiesta {code}" in page and "ricevuta" in page and "Allerta meteo" in page
    assert "347 123 4567" in page


def test_a_code_with_a_wrong_check_digit_is_not_found(console_app: Flask, client: FlaskClient) -> None:
    code = _ticket(console_app)
    wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
    response = client.get("/console/tickets", query_string={"q": wrong})
    assert response.status_code == 404 and "Nessuna richiesta" in response.get_data(as_text=True)
    assert client.get(f"/console/tickets/{wrong}").status_code == 404


def test_search_by_phone_number_lists_that_numbers_tickets(console_app: Flask, client: FlaskClient) -> None:
    mine = {_ticket(console_app), _ticket(console_app)}
    other = _ticket(console_app, phone="+393339876543")
    page = client.get("/console/tickets", query_string={"q": "347 123 4567"}).get_data(as_text=True)
    assert all(code in page for code in mine) and other not in page
    garbage = client.get("/console/tickets", query_string={"q": "ciao"})
    assert garbage.status_code == 400 and "codice di 12 cifre" in garbage.get_data(as_text=True)


def test_changing_the_status_keeps_history_and_audit(console_app: Flask, client: FlaskClient) -> None:
    code = _ticket(console_app)
    page = f"/console/tickets/{code}"
    response = post_form(client, f"{page}/status", {"status": "in_progress", "note": "preso in carico"}, page)
    assert response.status_code == 302
    assert "Stato aggiornato: in lavorazione" in client.get(page).get_data(as_text=True)
    post_form(client, f"{page}/status", {"status": "forwarded", "institution": "Regione  Lazio"}, page)
    status, institution, history = _status_of(console_app, code)
    assert (status, institution) == ("forwarded", "Regione Lazio")
    assert history[1:] == [("in_progress", "Olga Operatrice", "preso in carico"),
                           ("forwarded", "Olga Operatrice", "")]
    with console_app.extensions["contact_center"].sessions() as session:
        audit = [(e.actor, e.action, e.target, e.detail)
                 for e in session.scalars(select(AuditEntry).where(AuditEntry.action == "ticket_status"))]
    assert audit == [("Olga Operatrice", "ticket_status", code, "received → in_progress"),
                     ("Olga Operatrice", "ticket_status", code, "in_progress → forwarded (Regione Lazio)")]


def test_refused_changes_say_why_and_change_nothing(console_app: Flask, client: FlaskClient) -> None:
    code = _ticket(console_app)
    page = f"/console/tickets/{code}"
    refused = post_form(client, f"{page}/status", {"status": "forwarded", "institution": " "}, page)
    assert refused.status_code == 409 and "indica l&#39;ente competente" in refused.get_data(as_text=True)
    refused = post_form(client, f"{page}/status", {"status": "received"}, page)
    assert "non può passare da «ricevuta» a «ricevuta»" in refused.get_data(as_text=True)
    refused = post_form(client, f"{page}/status", {"status": "sparita"}, page)
    assert refused.status_code == 400 and "Scegli il nuovo stato" in refused.get_data(as_text=True)
    assert _status_of(console_app, code)[0] == "received"


def test_the_ticket_page_offers_only_the_allowed_transitions(console_app: Flask, client: FlaskClient) -> None:
    code = _ticket(console_app)
    page = f"/console/tickets/{code}"
    post_form(client, f"{page}/status", {"status": "closed"}, page)
    html = client.get(page).get_data(as_text=True)
    assert '<option value="in_progress">' in html
    assert '<option value="waiting_for_citizen">' not in html and "Inoltra a un ente" not in html


def _add_calls(app: Flask, rows: list[tuple[datetime, str | None]]) -> None:
    with app.extensions["contact_center"].sessions.begin() as session:
        for index, (started, outcome) in enumerate(rows):
            session.add(Call(call_sid=f"CA{index:032d}", started_at=started, outcome=outcome))


def test_today_counts_the_local_day_only(console_app: Flask) -> None:
    now = datetime(2026, 3, 29, 15, 0, tzinfo=ROME)  # the day clocks go forward: 23 hours long
    _add_calls(console_app, [
        (datetime(2026, 3, 29, 0, 30, tzinfo=ROME), "message"),
        (datetime(2026, 3, 29, 9, 5, tzinfo=ROME), "operator"),
        (datetime(2026, 3, 29, 9, 40, tzinfo=ROME), "self_service"),
        (datetime(2026, 3, 29, 9, 50, tzinfo=ROME), None),
        (datetime(2026, 3, 28, 23, 59, tzinfo=ROME), "message"),
        (datetime(2026, 3, 30, 0, 0, tzinfo=ROME), "operator"),
    ])
    with console_app.extensions["contact_center"].sessions.begin() as session:
        old, new, done = (CallbackRequest(callback_number=f"+39347123456{index}", reason="closed", status=status,
                                          created_at=now - timedelta(hours=hours), next_attempt_at=now)
                          for index, (status, hours) in enumerate([("pending", 30), ("pending", 1), ("done", 40)]))
        session.add_all([old, new, done])
        session.flush()
        session.add_all([
            CallbackAttempt(entry_id=old.id, outcome="no_answer", operator="Olga",
                            attempted_at=now - timedelta(hours=2)),
            CallbackAttempt(entry_id=old.id, outcome="busy", operator="Olga", attempted_at=now - timedelta(hours=1)),
            CallbackAttempt(entry_id=done.id, outcome="reached", operator="Olga",
                            attempted_at=now - timedelta(hours=36)),
            CallbackAttempt(entry_id=new.id, outcome="no_answer", operator="Olga",
                            attempted_at=now - timedelta(minutes=20)),
        ])
    with console_app.extensions["contact_center"].sessions() as session:
        figures = today_figures(session, now.astimezone(UTC), ROME, timedelta(hours=24))
    assert (figures.calls_received, figures.answered_by_operator, figures.self_service_lookups,
            figures.messages_left) == (4, 1, 1, 1)
    assert (figures.pending_callbacks, figures.overdue_callbacks) == (2, 1)
    assert figures.median_callback_delay == timedelta(minutes=40)  # 28 h and 40 min: the lower middle
    assert figures.calls_by_hour[0] == 1 and figures.calls_by_hour[9] == 3 and sum(figures.calls_by_hour) == 4
    assert figures.messages_by_hour[0] == 1 and sum(figures.messages_by_hour) == 1


def test_a_local_day_is_23_or_25_hours_long_on_clock_changes() -> None:
    spring = DayWindow.containing(datetime(2026, 3, 29, 12, tzinfo=ROME), ROME)
    autumn = DayWindow.containing(datetime(2026, 10, 25, 12, tzinfo=ROME), ROME)
    assert spring.end - spring.start == timedelta(hours=23)
    assert autumn.end - autumn.start == timedelta(hours=25)


def test_the_today_page_shows_figures_and_an_inline_chart(console_app: Flask, client: FlaskClient) -> None:
    _add_calls(console_app, [(LINE_OPEN_AT, "operator"), (LINE_OPEN_AT, "message")])
    page = client.get("/console/today").get_data(as_text=True)
    assert '<dd id="chiamate">2</dd>' in page
    assert page.count("<svg") == 2 and page.count("<rect") == 48
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/console/static/live.js" defer>']  # its own only
    assert "https://" not in page


def test_bars_scale_to_the_largest_value() -> None:
    chart = bar_chart((0, 5, 10), ("a", "b", "c"), width=300, height=118, axis_space=18)
    assert [bar.height for bar in chart.bars] == [0, 50, 100]
    assert [bar.y for bar in chart.bars] == [100, 50, 0]
    assert chart.bars[1].x == 110 and chart.bars[1].width == 80
    with pytest.raises(ValueError):
        bar_chart((), ())


def test_the_audit_log_speaks_italian(console_app: Flask) -> None:
    create_account(console_app, "Sara Supervisora", Role.SUPERVISOR)
    supervisor = console_app.test_client()
    assert sign_in(supervisor, "Sara Supervisora").status_code == 302
    code = _ticket(console_app)
    post_form(supervisor, f"/console/tickets/{code}/status", {"status": "in_progress"}, f"/console/tickets/{code}")
    page = supervisor.get("/console/audit").get_data(as_text=True)
    assert "<td>accesso alla console</td>" in page and "<td>stato della richiesta cambiato</td>" in page
    assert "ricevuta → in lavorazione" in page
    assert "sign_in" not in page and "ticket_status" not in page and "in_progress" not in page


@pytest.fixture
def working_day(console_app: Flask) -> tuple[FlaskClient, dict[str, str]]:
    """A supervisor signed in on a service holding a message, tickets, an operator, an event and an extension."""
    from agents.roster import add_agent
    from figures.events import add_event
    from figures.period import Period
    from hours.model import Band
    from storage.hours_repository import add_extension
    from storage.models import CallbackMessage

    create_account(console_app, "Sara Supervisora", Role.SUPERVISOR)
    with console_app.extensions["contact_center"].sessions.begin() as session:
        ticket = create_ticket(session, channel=Channel.VOICEMAIL, topic=Topic.RISKS, phone="+393471234567",
                               summary="Allerta meteo nel comune", now=LINE_OPEN_AT)
        letter = create_ticket(session, channel=Channel.LETTER, topic=Topic.OTHER, phone="+393339876543",
                               summary="Lettera sulla frana", now=LINE_OPEN_AT).code
        entry = CallbackRequest(callback_number="+393471234567", reason="closed", status="pending",
                                ticket_id=ticket.id, created_at=LINE_OPEN_AT, next_attempt_at=LINE_OPEN_AT)
        session.add(entry)
        session.flush()
        session.add(CallbackMessage(entry_id=entry.id, call_sid="CA" + "1" * 32, callback_number="+393471234567",
                                    number_source="caller_id", reason="closed", ticket_id=ticket.id,
                                    message_status="recorded", recording_duration=12, created_at=LINE_OPEN_AT))
        add_agent(session, "Olga Operatrice", phone="+390698765432", now=LINE_OPEN_AT)
        add_event(session, "Alluvione Romagna", Period(LINE_OPEN_AT.date() - timedelta(days=2), LINE_OPEN_AT.date(),
                                                       ROME), "Sara Supervisora")
        add_extension(session, LINE_OPEN_AT + timedelta(days=1), LINE_OPEN_AT + timedelta(days=2),
                      (Band.parse("08:00-22:00"),), "Aperti anche la sera", "Sara Supervisora", now=LINE_OPEN_AT)
        paths = {"entry": str(entry.id), "code": ticket.code, "letter": letter}
    client = console_app.test_client()
    assert sign_in(client, "Sara Supervisora").status_code == 302
    return client, paths


# Every console page and what it must show: its heading, then a row or a form.
PAGES_AND_WHAT_THEY_SHOW = [
    ("/console/today", ["<h1>Oggi, 25/11/2026</h1>", "Chiamate ricevute", "Messaggi lasciati"]),
    ("/console/callbacks", ["<h1>Richiamate</h1>", "<td>347 123 4567</td>", ">Prendi il prossimo</button>"]),
    ("/console/callbacks/{entry}", ["<h1>Richiamata {entry}</h1>", "347 123 4567", "{code}"]),
    ("/console/tickets", ["<h1>Richieste</h1>", ">{code}</a>", 'name="q"']),
    ("/console/tickets/{code}", ["<h1>Richiesta {code}</h1>", "Allerta meteo nel comune", 'name="status"']),
    ("/console/tickets/new", ["<h1>Nuova richiesta</h1>", 'name="channel"', ">Registra la richiesta</button>"]),
    ("/console/tickets/{letter}/recorded", ["<h1>Richiesta registrata</h1>", "{letter_spaced}"]),
    ("/console/tickets/{letter}/receipt", ["<h1>Ricevuta della richiesta</h1>", "{letter_spaced}"]),
    ("/console/presence", ["<h1>La tua presenza</h1>"]),
    ("/console/presence/board", ["<h1>Presenza degli operatori</h1>", "<td>Olga Operatrice</td>", "non in servizio"]),
    ("/console/settings", ["<h1>Orari straordinari e avvisi</h1>", "Aperti anche la sera",
                           ">Salva l'apertura</button>"]),
    ("/console/mail", ["<h1>Posta in uscita</h1>", "Nessuna e-mail non recapitata."]),
    ("/console/events", ["<h1>Eventi ed emergenze</h1>", ">Alluvione Romagna</a>", ">Salva l'evento</button>"]),
    ("/console/dossier", ["Dossier del Contact Center 800 840 840</h1>", "Sintesi"]),
    ("/console/audit", ["<h1>Registro delle attività</h1>", "<td>accesso alla console</td>"]),
    ("/console/accounts", ["<h1>Account della console</h1>", "Olga Operatrice", ">Salva il telefono</button>"]),
    ("/console/privacy", ["<h1>Richieste privacy dei cittadini</h1>", 'name="phone"', ">Cerca i dati</button>"]),
]


@pytest.mark.parametrize(("path", "shown"), PAGES_AND_WHAT_THEY_SHOW,
                         ids=[path for path, _ in PAGES_AND_WHAT_THEY_SHOW])
def test_every_console_page_shows_its_heading_and_content(working_day: tuple[FlaskClient, dict[str, str]],
                                                         path: str, shown: list[str]) -> None:
    client, paths = working_day
    values = {**paths, "letter_spaced": format_code_for_display(paths["letter"])}
    response = client.get(path.format(**values))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for text in shown:
        assert text.format(**values) in page
