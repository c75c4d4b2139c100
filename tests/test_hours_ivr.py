"""Opening hours in calls (simulator): the closed line's answer to key 1, announcements, the end-to-end crisis."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
import yaml
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from callsim import Call, Simulator, WSGITransport
from contact_center.app import create_app
from contact_center.cli import cli
from contact_center.config import load_settings
from contact_center.prompts import load_prompts
from contact_center.schedule import SPEECH_PROMPTS_PREFIX
from hours import Band
from hours.speech import TEMPLATES
from storage.hours_repository import add_closure, add_extension
from storage.models import CallbackMessage, CallbackRequest
from tests.conftest import AUTH_TOKEN, LINE_OPEN_AT, make_app, make_settings, post_signed

ROME = ZoneInfo("Europe/Rome")
CALLER = "+393471234567"
WEEKLY_SENTENCE = "Il servizio è attivo dal lunedì al venerdì dalle 9 alle 18."
MESSAGE_REASON_CLOSED = "Puoi lasciare un messaggio: ti richiameremo quando il servizio riaprirà."
MENU_START = "Per parlare con un operatore, premi 1."


def rome(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Europe/Rome wall-clock datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=ROME)


def set_clock(app: Flask, moment: datetime) -> None:
    """Make the app's "now" this instant."""
    app.extensions["contact_center"].clock = lambda: moment


def simulator(app: Flask) -> Simulator:
    """Twilio's side of the line, calling the app."""
    return Simulator(WSGITransport(app), auth_token=AUTH_TOKEN, public_base_url="http://localhost")


def ask_for_an_operator(app: Flask) -> Call:
    """A call that presses 1 at the main menu."""
    call = simulator(app).dial(from_=CALLER)
    call.press("1")
    return call


def message_reasons(call: Call) -> list[str]:
    """The reasons of the message flow's openings the call went through."""
    return [parse_qs(urlsplit(request.url).query)["reason"][0] for request in call.requests_to("/voice/message")]


@pytest.mark.parametrize(("moment", "why", "reopening"), [
    (rome(2026, 11, 28, 12), "In questo momento il servizio è chiuso.", "Riaprirà lunedì 30 novembre alle ore 9."),
    (rome(2026, 11, 30, 18), "In questo momento il servizio è chiuso.", "Riaprirà domani alle ore 9."),
    (rome(2026, 12, 1, 8, 59), "In questo momento il servizio è chiuso.", "Riaprirà oggi alle ore 9."),
    (rome(2026, 12, 25, 10), "Oggi il servizio è chiuso per Natale.", "Riaprirà lunedì 28 dicembre alle ore 9."),
    (rome(2027, 3, 29, 10), "Oggi il servizio è chiuso per Lunedì dell'Angelo.", "Riaprirà domani alle ore 9."),
    (rome(2027, 6, 29, 10), "Oggi il servizio è chiuso per Santi Pietro e Paolo.", "Riaprirà domani alle ore 9."),
])
def test_a_caller_asking_for_an_operator_while_closed_hears_why_and_when_then_leaves_a_message(
        app: Flask, moment: datetime, why: str, reopening: str) -> None:
    set_clock(app, moment)
    call = ask_for_an_operator(app)
    heard = call.heard_since_last_input().splitlines()
    assert heard[:4] == [
        f"{why} {reopening} {WEEKLY_SENTENCE}", MESSAGE_REASON_CLOSED,
        "I dati sono trattati dal Dipartimento della Protezione Civile per richiamarti. "
        "Informativa su protezionecivile punto gov punto it.",
        "Ti richiameremo al numero che termina con 45 67: premi 1 per confermare, 2 per indicarne un altro."]
    assert message_reasons(call) == ["closed"]
    call.press("1")
    call.record(seconds=12, finish_key="#")
    assert call.ended and call.errors == []
    with app.extensions["contact_center"].sessions() as session:
        [entry] = session.scalars(select(CallbackRequest)).all()
        [message] = session.scalars(select(CallbackMessage)).all()
    assert (entry.reason, entry.callback_number, message.message_status) == ("closed", CALLER, "recorded")


def test_a_closure_s_reason_is_said(app: Flask) -> None:
    with app.extensions["contact_center"].sessions.begin() as session:
        add_closure(session, rome(2026, 11, 25, 9), rome(2026, 11, 25, 15), "guasto alla centrale telefonica", "cli",
                    now=LINE_OPEN_AT)
    set_clock(app, rome(2026, 11, 25, 10))
    heard = ask_for_an_operator(app).heard_since_last_input()
    assert heard.startswith("Il servizio è temporaneamente chiuso: guasto alla centrale telefonica. "
                            f"Riaprirà oggi alle ore 15. {WEEKLY_SENTENCE}")


def test_when_the_line_is_open_the_caller_goes_on_to_the_operators(app: Flask) -> None:
    call = ask_for_an_operator(app)  # the test apps' clock: a Wednesday at 10
    assert "chiuso" not in call.heard_since_last_input()
    assert "scegli l'argomento" in call.heard_since_last_input()
    call.press("0")  # any topic; nobody is on the roster
    assert "Riaprirà" not in call.said()
    assert message_reasons(call) == ["all_busy"]


def test_an_extension_opens_a_closed_sunday_evening(app: Flask) -> None:
    with app.extensions["contact_center"].sessions.begin() as session:
        add_extension(session, rome(2026, 11, 29, 20), rome(2026, 11, 30, 2), None, None, "cli", now=LINE_OPEN_AT)
    set_clock(app, rome(2026, 11, 29, 23, 30))
    opened = ask_for_an_operator(app)
    opened.press("0")  # any topic; nobody is on the roster
    assert message_reasons(opened) == ["all_busy"]
    set_clock(app, rome(2026, 11, 30, 2))
    call = ask_for_an_operator(app)
    assert message_reasons(call) == ["closed"] and "Riaprirà oggi alle ore 9." in call.heard_since_last_input()


def test_an_announcement_is_said_after_the_greeting_and_before_the_menu(app: Flask) -> None:
    with app.extensions["contact_center"].sessions.begin() as session:
        add_extension(session, rome(2026, 11, 25, 8), rome(2026, 11, 26, 20), None,
                      "Allerta rossa per temporali in Liguria.", "cli", now=LINE_OPEN_AT)
        add_extension(session, rome(2026, 11, 24), rome(2026, 11, 27), None, "Seconda comunicazione.", "cli",
                      now=LINE_OPEN_AT)
    call = simulator(app).dial(from_=CALLER)
    said = call.said().splitlines()
    assert said[0].startswith("Benvenuto") and said[1].startswith("Questo non è un numero di emergenza")
    assert said[2] == "For English, press 8."
    assert said[3:5] == ["Avviso importante. Seconda comunicazione.",
                         "Avviso importante. Allerta rossa per temporali in Liguria."]
    assert said[5].startswith(MENU_START)


def test_the_announcement_plays_during_the_whole_range_even_outside_its_bands(app: Flask) -> None:
    with app.extensions["contact_center"].sessions.begin() as session:
        add_extension(session, rome(2026, 11, 28), rome(2026, 11, 30), [Band.parse("08:00-20:00")], "Allerta meteo.",
                      "cli", now=LINE_OPEN_AT)
    set_clock(app, rome(2026, 11, 28, 22))
    call = ask_for_an_operator(app)
    assert "Avviso importante. Allerta meteo." in call.said()
    assert message_reasons(call) == ["closed"]


def test_no_announcement_without_an_active_extension(app: Flask) -> None:
    with app.extensions["contact_center"].sessions.begin() as session:
        add_extension(session, rome(2026, 12, 5), rome(2026, 12, 6), None, "Più tardi.", "cli", now=LINE_OPEN_AT)
    said = simulator(app).dial(from_=CALLER).said().splitlines()
    assert len(said) == 5 and said[3].startswith(MENU_START)


def test_the_announcement_is_spoken_before_the_menu_gather(app: Flask) -> None:
    with app.extensions["contact_center"].sessions.begin() as session:
        add_extension(session, rome(2026, 11, 25), rome(2026, 11, 26), None, "Avviso.", "cli", now=LINE_OPEN_AT)
    response = post_signed(app.test_client(), "/voice/incoming", {
        "CallSid": "CA" + "1" * 32, "AccountSid": "AC" + "0" * 32, "From": CALLER, "To": "+39800840840"})
    verbs = [child.tag for child in ElementTree.fromstring(response.data)]
    assert verbs == ["Say", "Say", "Say", "Say", "Gather", "Redirect"]  # the 3rd: "For English, press 8."


def test_with_the_database_down_the_operator_step_answers_from_the_configured_hours(tmp_path: Path) -> None:
    app = create_app(make_settings("postgresql+psycopg://postgres@127.0.0.1:1/none", tmp_path / "i"))
    set_clock(app, rome(2026, 12, 25, 10))
    response = post_signed(app.test_client(), "/voice/operator", {
        "CallSid": "CA" + "2" * 32, "AccountSid": "AC" + "0" * 32, "From": CALLER, "To": "+39800840840"})
    assert response.status_code == 200
    root = ElementTree.fromstring(response.data)
    assert [child.tag for child in root] == ["Say", "Redirect"]
    assert root[0].text == (
        f"Oggi il servizio è chiuso per Natale. Riaprirà lunedì 28 dicembre alle ore 9. {WEEKLY_SENTENCE}")
    assert root[1].text == "/voice/message?reason=closed"


def test_the_shipped_prompts_carry_every_word_of_the_hours_sentences() -> None:
    prompts = load_prompts()
    assert set(prompts.group(SPEECH_PROMPTS_PREFIX)) == set(TEMPLATES)


def test_a_reworded_hours_prompt_is_what_the_caller_hears(database_url: str, tmp_path: Path) -> None:
    overrides = tmp_path / "prompts.yaml"
    overrides.write_text(yaml.safe_dump({"hours.reopening.sentence": "Il servizio riprende {day} alle {time}.",
                                         "hours.weekday.0": "lunedì prossimo"}, allow_unicode=True), "utf-8")
    app = make_app(make_settings(database_url, tmp_path / "i", ivr={"prompts_file": str(overrides)}))
    set_clock(app, rome(2026, 11, 28, 12))
    assert "Il servizio riprende lunedì prossimo 30 novembre alle 9." in ask_for_an_operator(app).said()
    app.extensions["contact_center"].engine.dispose()


def next_saturday() -> date:
    """The first Saturday after today (real time: the CLI refuses ranges already over)."""
    today = datetime.now(ROME).date()
    return today + timedelta(days=(5 - today.weekday()) % 7 or 7)


def test_end_to_end_a_saturday_caller_then_an_extension_through_the_cli_then_the_operator_branch(
        tmp_path: Path, database_url: str) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({
        "database": {"url": database_url, "instance_dir": str(tmp_path / "instance")},
        "twilio": {"auth_token": AUTH_TOKEN},
    }), "utf-8")
    runner = CliRunner()
    assert runner.invoke(cli, ["--config", str(config), "db", "upgrade"]).exit_code == 0
    app = create_app(load_settings(config, environ={}))
    saturday = next_saturday()
    set_clock(app, datetime(saturday.year, saturday.month, saturday.day, 11, 30, tzinfo=ROME))

    closed = ask_for_an_operator(app)
    assert "chiuso" in closed.heard_since_last_input() and "Riaprirà" in closed.heard_since_last_input()
    assert message_reasons(closed) == ["closed"]

    extended = runner.invoke(cli, [
        "--config", str(config), "hours", "extend", "--from", f"{saturday}T00:00",
        "--to", f"{saturday + timedelta(days=2)}T00:00", "--all-day",
        "--announcement", "Allerta meteo: il servizio è attivo 24 ore su 24."])
    assert extended.exit_code == 0, extended.output
    listed = json.loads(runner.invoke(cli, ["--config", str(config), "hours", "list", "--json"]).stdout)
    assert [(entry["id"], entry["all_day"]) for entry in listed] == [("E1", True)]

    opened = simulator(app).dial(from_=CALLER)
    assert "Avviso importante. Allerta meteo: il servizio è attivo 24 ore su 24." in opened.said().splitlines()[3]
    opened.press("1")
    assert "chiuso" not in opened.heard_since_last_input()
    opened.press("0")  # any topic; nobody is on the roster
    assert message_reasons(opened) == ["all_busy"]
    assert opened.errors == [] and closed.errors == []
    app.extensions["contact_center"].engine.dispose()
