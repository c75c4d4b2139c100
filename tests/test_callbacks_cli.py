"""`contact-center callbacks ...`: list, next, outcome, show; bad input is one clear line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from contact_center.cli import cli
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import Ticket
from tests.conftest import LINE_OPEN_AT
from voicemail.callbacks import Recording, attach_recording, open_callback_request

MOBILE = "+393471234567"


@pytest.fixture
def config(database_url: str, tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({
        "database": {"url": database_url, "instance_dir": str(tmp_path / "instance")},
        "voicemail": {"max_attempts": 2, "retry_delays_minutes": [10]},
    }))
    return path


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield make_session_factory(engine)
    engine.dispose()


def leave(sessions: sessionmaker[Session], index: int, number: str | None, reason: str = "chosen") -> None:
    call_sid = f"CA{index:032d}"
    with sessions.begin() as session:
        open_callback_request(session, call_sid, number, "caller_id" if number else "none", reason, now=LINE_OPEN_AT)
        attach_recording(session, call_sid, Recording(f"RE{index:032d}", "https://api.twilio.com/r", 12),
                         now=LINE_OPEN_AT)


def run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), "callbacks", *args])


def test_list_shows_the_work_order_in_italian_and_as_json(config: Path, sessions) -> None:
    leave(sessions, 1, MOBILE, "chosen")
    leave(sessions, 2, "+390612345678", "all_busy")
    leave(sessions, 3, None, "closed")
    table = run(config, "list")
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    assert lines[0].split()[:3] == ["ID", "CREATA", "NUMERO"]
    assert "operatori occupati" in lines[1] and "+390612345678" in lines[1]
    assert "nessun numero di richiamata" in lines[2] and "servizio chiuso" in lines[2]
    assert "12 s" in lines[3] and "da richiamare *" in lines[3]
    listed = json.loads(run(config, "list", "--json").output)
    assert [(e["reason"], e["due"], e["recorded_seconds"]) for e in listed] == [
        ("all_busy", True, 12), ("closed", True, 12), ("chosen", True, 12)]
    with sessions() as session:
        codes = set(session.scalars(select(Ticket.code)))
    assert {e["ticket"] for e in listed} == codes and listed[2]["topic"] == "other"


def test_next_claims_and_outcome_schedules_then_closes(config: Path, sessions) -> None:
    leave(sessions, 1, MOBILE)
    taken = run(config, "next", "--operator", "anna", "--json")
    assert taken.exit_code == 0, taken.output
    entry = json.loads(taken.output)
    assert (entry["status"], entry["claimed_by"]) == ("claimed", "anna")
    assert json.loads(run(config, "next", "--operator", "marco", "--json").output) is None
    assert "nessuna richiamata da fare adesso" in run(config, "next", "--operator", "marco").output

    busy = run(config, "outcome", str(entry["id"]), "no-answer", "--note", "squilla a vuoto")
    assert busy.exit_code == 0, busy.output
    assert "da richiamare" in busy.output and "non risponde  «squilla a vuoto»" in busy.output
    again = run(config, "outcome", str(entry["id"]), "busy", "--operator", "marco", "--json")
    assert json.loads(again.output)["status"] == "unreachable"

    shown = run(config, "show", str(entry["id"]))
    assert shown.exit_code == 0
    assert "Richiamata 1: non raggiungibile" in shown.output and "marco  occupato" in shown.output


def test_show_names_the_topic_and_every_value_in_italian(config: Path, sessions) -> None:
    leave(sessions, 1, MOBILE, "closed")
    run(config, "next", "--operator", "anna")
    run(config, "outcome", "1", "wrong-number", "--note", "risponde un ufficio")
    shown = run(config, "show", "1")
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert lines[0] == "Richiamata 1: non raggiungibile"
    assert "  Motivo:              servizio chiuso" in lines and "  Argomento:           altro" in lines
    assert any(line.endswith("anna  numero errato  «risponde un ufficio»") for line in lines)
    assert any("numero del chiamante  12 s, copia in attesa" in line for line in lines)
    with sessions.begin() as session:
        session.scalars(select(Ticket)).one().topic = "national_service"
    shown = run(config, "show", "1").output
    assert "  Argomento:           attività e competenze del Servizio nazionale di protezione civile\n" in shown
    words = set(shown.replace(",", " ").split())
    assert not words & {"other", "national_service", "closed", "unreachable", "wrong_number", "caller_id", "pending"}
    assert json.loads(run(config, "show", "1", "--json").output)["topic"] == "national_service"


def test_reached_can_close_the_ticket_too(config: Path, sessions) -> None:
    leave(sessions, 1, MOBILE)
    run(config, "next", "--operator", "anna")
    done = run(config, "outcome", "1", "reached", "--ticket-status", "closed", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["status"] == "done"
    with sessions() as session:
        assert session.scalars(select(Ticket.status)).one() == "closed"


@pytest.mark.parametrize(("args", "line"), [
    (("list", "--status", "sleeping"), "Error: stato sconosciuto 'sleeping'"),
    (("list", "--limit", "lots"), "Error: --limit 'lots'"),
    (("next",), "Error: indica l'operatore con --operator NOME"),
    (("outcome", "abc", "reached"), "Error: 'abc' non è il numero di una richiamata"),
    (("outcome", "1", "maybe"), "Error: esito sconosciuto 'maybe'"),
    (("outcome", "1", "reached", "--ticket-status", "lost"), "Error: stato della richiesta sconosciuto 'lost'"),
    (("outcome", "1", "reached"), "Error: la richiamata 1 non è assegnata: indica l'operatore"),
    (("outcome", "99", "busy", "--operator", "anna"), "Error: la richiamata 99 non esiste"),
    (("show", "99"), "Error: la richiamata 99 non esiste"),
    (("show", "0"), "Error: '0' non è il numero di una richiamata"),
])
def test_bad_input_is_one_clear_line_and_a_failure_status(config: Path, sessions, args: tuple[str, ...],
                                                          line: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONTACT_CENTER_OPERATOR", raising=False)
    leave(sessions, 1, MOBILE)
    result = run(config, *args)
    assert result.exit_code != 0
    [only] = result.output.strip().splitlines()
    assert only.startswith(line) and "Traceback" not in result.output
