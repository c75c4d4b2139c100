"""`contact-center hours ...` through click's CliRunner: extend, close, list, cancel, show, bad input."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from click.testing import CliRunner, Result

from contact_center.cli import cli
from tests.conftest import AUTH_TOKEN

ROME = ZoneInfo("Europe/Rome")


def upcoming(days: int) -> date:
    """A local date `days` after today: ranges the commands accept must not be over yet."""
    return datetime.now(ROME).date() + timedelta(days=days)


def next_spring_forward() -> date:
    """The next last Sunday of March, when Rome's clocks skip from 2:00 to 3:00."""
    year = datetime.now(ROME).year + 1
    last_day = date(year, 3, 31)
    return last_day - timedelta(days=(last_day.weekday() + 1) % 7)


START, END = upcoming(10), upcoming(17)


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> Path:
    """A configuration file on the parametrized database, migrated through the CLI."""
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({
        "database": {"url": database_url, "instance_dir": str(tmp_path / "instance")},
        "twilio": {"auth_token": AUTH_TOKEN},
    }), "utf-8")
    upgraded = run(path, "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    return path


def run(config: Path, *args: str) -> Result:
    """Run the console script with this configuration."""
    return CliRunner().invoke(cli, ["--config", str(config), *args])


def listed(config: Path, *options: str) -> list[dict[str, Any]]:
    """`hours list --json` as data."""
    result = run(config, "hours", "list", "--json", *options)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_extend_with_daily_bands_and_an_announcement(config: Path) -> None:
    result = run(config, "hours", "extend", "--from", f"{START}T08:00", "--to", f"{END}T20:00",
                 "--daily", "21:00-23:00", "--daily", "08:00-20:00", "--announcement", "Allerta meteo in Liguria.",
                 "--by", "sala-operativa")
    assert result.exit_code == 0, result.output
    assert result.stdout == (f"apertura straordinaria E1: dal {START} 08:00 {_zone_name(START, 8)} al {END} 20:00 "
                             f"{_zone_name(END, 20)}, ogni giorno 08:00-20:00, 21:00-23:00; "
                             "avviso: Allerta meteo in Liguria.\n")
    [entry] = listed(config)
    assert entry["id"] == "E1" and entry["kind"] == "extension" and entry["status"] == "upcoming"
    assert entry["starts_at"].startswith(f"{START}T08:00:00+0")
    assert (entry["all_day"], entry["bands"]) == (False, ["08:00-20:00", "21:00-23:00"])
    assert (entry["text"], entry["created_by"], entry["cancelled_at"]) == (
        "Allerta meteo in Liguria.", "sala-operativa", None)

    shown = run(config, "hours", "show", "--at", f"{START}T22:30")
    assert shown.exit_code == 0, shown.output
    assert "stato:              aperto (apertura straordinaria)" in shown.stdout
    assert f"prossimo cambio:    {START} 23:00" in shown.stdout and "(chiude)" in shown.stdout
    assert "avviso:             Allerta meteo in Liguria." in shown.stdout
    assert "detto ai chiamanti: Il servizio è attivo in orario straordinario." in shown.stdout


def test_extend_all_day(config: Path) -> None:
    result = run(config, "hours", "extend", "--from", f"{START}T00:00", "--to", f"{END}T00:00", "--all-day")
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith(", tutto il giorno\n")
    [entry] = listed(config)
    assert (entry["all_day"], entry["bands"], entry["text"]) == (True, None, None)
    assert "stato:              aperto (apertura straordinaria)" in run(
        config, "hours", "show", "--at", f"{START}T03:00").stdout


def test_a_time_with_an_offset_is_taken_as_written(config: Path) -> None:
    result = run(config, "hours", "close", "--from", f"{START}T12:00Z", "--to", f"{START}T13:00+00:00")
    assert result.exit_code == 0, result.output
    [entry] = listed(config)
    starts_at = datetime.fromisoformat(entry["starts_at"])
    assert starts_at == datetime.fromisoformat(f"{START}T12:00+00:00")


def test_close_then_show_says_why_and_when_it_reopens(config: Path) -> None:
    monday = START + timedelta(days=(7 - START.weekday()) % 7)
    result = run(config, "hours", "close", "--from", f"{monday}T13:00", "--to", f"{monday}T15:00",
                 "--reason", "manutenzione straordinaria")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("chiusura C1: dal ")
    assert result.stdout.endswith("motivo: manutenzione straordinaria\n")
    shown = run(config, "hours", "show", "--at", f"{monday}T14:00")
    assert "stato:              chiuso (chiusura straordinaria)" in shown.stdout
    assert f"prossimo cambio:    {monday} 15:00" in shown.stdout and "(apre)" in shown.stdout
    assert ("detto ai chiamanti: Il servizio è temporaneamente chiuso: manutenzione straordinaria. "
            "Riaprirà oggi alle ore 15. Il servizio è attivo dal lunedì al venerdì dalle 9 alle 18.") in shown.stdout


def test_show_a_holiday_in_italian(config: Path) -> None:
    shown = run(config, "hours", "show", "--at", "2026-12-25T10:00")
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.splitlines() == [
        "momento:            2026-12-25 10:00 CET",
        "stato:              chiuso (festività)",
        "prossimo cambio:    2026-12-28 09:00 CET (apre)",
        ("detto ai chiamanti: Oggi il servizio è chiuso per Natale. Riaprirà lunedì 28 dicembre alle ore 9. "
         "Il servizio è attivo dal lunedì al venerdì dalle 9 alle 18."),
    ]


def test_list_and_cancel(config: Path) -> None:
    run(config, "hours", "extend", "--from", f"{START}T08:00", "--to", f"{END}T20:00", "--all-day")
    run(config, "hours", "close", "--from", f"{START}T10:00", "--to", f"{START}T11:00", "--reason", "guasto")
    table = run(config, "hours", "list")
    assert table.exit_code == 0
    columns = [re.split(r" {2,}", line.strip()) for line in table.stdout.splitlines()]
    assert [row[:2] + row[4:] for row in columns] == [
        ["ID", "TIPO", "ORARIO", "STATO", "TESTO"],
        ["E1", "apertura straordinaria", "tutto il giorno", "prevista", "-"],
        ["C1", "chiusura", "chiuso", "prevista", "guasto"],
    ]

    cancelled = run(config, "hours", "cancel", "c1", "--by", "supervisore")
    assert cancelled.exit_code == 0 and cancelled.stdout.startswith("chiusura C1 annullata (dal ")
    assert [entry["id"] for entry in listed(config)] == ["E1"]
    assert [(entry["id"], entry["status"]) for entry in listed(config, "--all")] == [
        ("E1", "upcoming"), ("C1", "cancelled")]

    again = run(config, "hours", "cancel", "C1")
    assert (again.exit_code, again.stdout) == (0, "chiusura C1 già annullata\n")
    assert "  annullata  guasto" in run(config, "hours", "list", "--all").stdout
    run(config, "hours", "cancel", "E1")
    assert run(config, "hours", "list").stdout == "nessuna apertura straordinaria o chiusura in corso o prevista\n"


@pytest.mark.parametrize(("args", "message"), [
    (("extend", "--from", f"{END}T08:00", "--to", f"{START}T08:00", "--all-day"),
     f"--to {START}T08:00 must come after --from {END}T08:00"),
    (("extend", "--from", f"{START}T08:00", "--to", f"{START}T08:00", "--all-day"), "must come after --from"),
    (("extend", "--from", f"{START}T08:00", "--to", f"{END}T20:00", "--daily", "25:00-26:00"),
     "--daily: invalid band '25:00-26:00': invalid time '25:00'"),
    (("extend", "--from", f"{START}T08:00", "--to", f"{END}T20:00", "--daily", "08:00"),
     "--daily: invalid band '08:00'"),
    (("extend", "--from", f"{START}T08:00", "--to", f"{END}T20:00", "--daily", "20:00-08:00"),
     "the start must come before the end"),
    (("extend", "--from", f"{START}T08:00", "--to", f"{END}T20:00", "--daily", "08:00-14:00", "--daily",
      "13:00-20:00"), "--daily: the bands 08:00-14:00 and 13:00-20:00 overlap"),
    (("extend", "--from", "2026-11-31T08:00", "--to", f"{END}T20:00", "--all-day"),
     "--from '2026-11-31T08:00' is not a date and time: write it like 2026-11-28T08:00"),
    (("extend", "--from", f"{START}T08:00", "--to", "domani", "--all-day"), "--to 'domani' is not a date and time"),
    (("extend", "--from", f"{START}T08:00", "--to", f"{END}T20:00", "--all-day", "--daily", "08:00-20:00"),
     "give either --daily HH:MM-HH:MM (once per band) or --all-day"),
    (("extend", "--from", f"{START}T08:00", "--to", f"{END}T20:00"), "give either --daily"),
    (("extend", "--from", f"{next_spring_forward()}T02:30", "--to", f"{next_spring_forward()}T20:00", "--all-day"),
     f"--from '{next_spring_forward()}T02:30' does not exist in Europe/Rome"),
    (("extend", "--from", "2020-01-01T08:00", "--to", "2020-01-02T08:00", "--all-day"),
     "--to 2020-01-02T08:00 is already past"),
    (("extend", "--from", f"{START}T08:00", "--to", f"{END}T20:00", "--all-day", "--announcement", "x" * 601),
     "the announcement has 601 characters: at most 600 are allowed"),
    (("close", "--from", f"{START}T18:00", "--to", f"{START}T09:00"), "must come after --from"),
    (("close", "--from", "ieri", "--to", f"{START}T09:00"), "--from 'ieri' is not a date and time"),
    (("cancel", "E7"), "no extension or closure with id 'E7'"),
    (("show", "--at", "2026-02-30T10:00"), "--at '2026-02-30T10:00' is not a date and time"),
])
def test_bad_input_is_one_clear_line_and_changes_nothing(config: Path, args: tuple[str, ...], message: str) -> None:
    result = run(config, "hours", *args)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1 and message in result.stderr
    assert listed(config, "--all") == []


def test_the_commands_refuse_a_database_whose_schema_is_not_current(tmp_path: Path, sqlite_url: str) -> None:
    path = tmp_path / "fresh.yaml"
    path.write_text(yaml.safe_dump({"database": {"url": sqlite_url, "instance_dir": str(tmp_path / "i")},
                                    "twilio": {"auth_token": AUTH_TOKEN}}), "utf-8")
    result = run(path, "hours", "list")
    assert result.exit_code == 1
    assert "run `contact-center db upgrade`" in result.stderr


def _zone_name(day: date, hour: int) -> str:
    """CET or CEST: the abbreviation Rome uses at that local hour."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=ROME).strftime("%Z")
