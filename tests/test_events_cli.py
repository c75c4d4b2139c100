"""`contact-center events`: name, list and remove emergency events; bad input is one clear line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.orm import Session

from contact_center.cli import cli
from figures.events import EventError, add_event, events_overlapping, find_event
from figures.period import Period
from storage.models import EmergencyEvent
from tests.figures_dataset import EVENT_PERIOD, ORDINARY_PERIOD, ROME, migrated_engine, write_config

UTC = UTC


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> Path:
    """A configuration on a migrated database of each kind."""
    migrated_engine(database_url).dispose()
    return write_config(tmp_path, database_url)


def run(config: Path, *arguments: str) -> Result:
    """Run `contact-center --config CONFIG ...`."""
    return CliRunner().invoke(cli, ["--config", str(config), *arguments])


def test_add_list_remove(config: Path, database_url: str) -> None:
    added = run(config, "events", "add", "Terremoto Emilia", "--from", "20/05/2012", "--to", "16/06/2012",
                "--description", "Sequenza sismica in Emilia", "--by", "supervisore")
    assert added.exit_code == 0, added.output
    assert added.output == "evento 'Terremoto Emilia' aggiunto: dal 20/05/2012 al 16/06/2012 (28 giorni)\n"
    run(config, "events", "add", "Alluvione", "--from", "2012-11-10", "--to", "2012-11-12")
    one_day = run(config, "events", "add", "Tromba d'aria", "--from", "2012-12-01", "--to", "2012-12-01")
    assert one_day.output == "evento \"Tromba d'aria\" aggiunto: il 01/12/2012 (1 giorno)\n"

    listed = run(config, "events", "list")
    assert listed.exit_code == 0
    assert listed.output.splitlines() == [
        "DAL         AL          GIORNI  NOME",
        "20/05/2012  16/06/2012      28  Terremoto Emilia - Sequenza sismica in Emilia",
        "10/11/2012  12/11/2012       3  Alluvione",
        "01/12/2012  01/12/2012       1  Tromba d'aria",
    ]
    engine = migrated_engine(database_url)
    with Session(engine) as session:
        event = session.scalars(select(EmergencyEvent).where(EmergencyEvent.name == "Terremoto Emilia")).one()
        assert event.starts_at == datetime(2012, 5, 19, 22, 0, tzinfo=UTC)
        assert event.ends_at == datetime(2012, 6, 16, 22, 0, tzinfo=UTC)
        assert event.created_by == "supervisore"

    removed = run(config, "events", "remove", "Terremoto  Emilia")
    assert (removed.exit_code, removed.output) == (0, "evento 'Terremoto Emilia' eliminato\n")
    assert "Terremoto" not in run(config, "events", "list").output
    for name in ("Alluvione", "Tromba d'aria"):
        run(config, "events", "remove", name)
    assert run(config, "events", "list").output == "nessun evento\n"
    engine.dispose()


@pytest.mark.parametrize(("arguments", "message"), [
    (["add", "X", "--from", "31/02/2012", "--to", "01/03/2012"], "invalid date '31/02/2012'"),
    (["add", "X", "--from", "2012-06-16", "--to", "2012-05-20"], "ends (20/05/2012) before it starts"),
    (["add", "   ", "--from", "2012-05-20", "--to", "2012-05-21"], "the event needs a name"),
    (["add", "X" * 121, "--from", "2012-05-20", "--to", "2012-05-21"], "at most 120"),
    (["remove", "Nessuno"], "no event named 'Nessuno' (known events: none yet)"),
])
def test_bad_input_is_one_clear_line(config: Path, arguments: list[str], message: str) -> None:
    result = run(config, "events", *arguments)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_a_name_is_taken_once(config: Path) -> None:
    assert run(config, "events", "add", "Sisma", "--from", "2012-05-20", "--to", "2012-05-21").exit_code == 0
    again = run(config, "events", "add", " Sisma ", "--from", "2013-05-20", "--to", "2013-05-21")
    assert again.exit_code == 1
    assert "an event named 'Sisma' already exists" in again.output


def test_events_overlapping_a_period(database_url: str) -> None:
    engine = migrated_engine(database_url)
    with Session(engine) as session:
        add_event(session, "Evento", EVENT_PERIOD, "test")
        add_event(session, "Prima", Period.parse("2026-05-10", "2026-05-17", ROME), "test")
        session.commit()
        assert [event.name for event in events_overlapping(session, ORDINARY_PERIOD)] == ["Prima"]
        assert [event.name for event in events_overlapping(session, EVENT_PERIOD)] == ["Evento"]
        with pytest.raises(EventError, match="known events: 'Prima', 'Evento'"):
            find_event(session, "Altro")
    engine.dispose()
