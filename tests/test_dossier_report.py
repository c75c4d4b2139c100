"""`contact-center report`: the dossier's files, their exact figures, and no personal data in any of them."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy.orm import Session

from contact_center.cli import cli
from storage.hours_repository import add_extension
from tests.conftest import LINE_OPEN_AT
from tests.figures_dataset import SECRET_NUMBERS, SECRET_TEXTS, load_dataset, migrated_engine, rome, write_config

TABLES = ("sintesi", "chiamate_per_giorno", "chiamate_per_ora", "esiti_chiamate", "chiamate_per_lingua",
          "richieste_per_argomento", "richieste_scritte_per_argomento", "prima_risposta_scritte",
          "richieste_per_canale", "richiamate")
SUPERVISOR = "Anna Verdi"
DESCRIPTION = "Scossa avvertita dalla famiglia Neri in via Roma 3"


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> Path:
    """A configuration on a database of each kind holding the known data set and its event."""
    engine = migrated_engine(database_url)
    load_dataset(engine)
    engine.dispose()
    path = write_config(tmp_path, database_url)
    added = run(path, "events", "add", "Terremoto Emilia", "--from", "20/05/2026", "--to", "22/05/2026",
                "--by", SUPERVISOR, "--description", DESCRIPTION)
    assert added.exit_code == 0, added.output
    return path


def run(config: Path, *arguments: str) -> Result:
    """Run `contact-center --config CONFIG ...`."""
    return CliRunner().invoke(cli, ["--config", str(config), *arguments])


def rows(folder: Path, table: str) -> list[list[str]]:
    """A CSV file's rows, header first."""
    with (folder / f"{table}.csv").open(encoding="utf-8", newline="") as file:
        return list(csv.reader(file))


def test_event_report_files_and_figures(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "emilia"
    result = run(config, "report", "--event", "Terremoto Emilia", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (
        "dossier dal 20/05/2026 al 22/05/2026: 10 chiamate, 5 richieste, 5 richieste di richiamata")
    assert sorted(path.name for path in out.iterdir()) == sorted(["dossier.html", *(f"{t}.csv" for t in TABLES)])
    summary = {row[0]: row[1:] for row in rows(out, "sintesi")}
    assert summary["Indicatore"] == ["Periodo", "Periodo ordinario", "Variazione"]
    assert summary["Chiamate ricevute"] == ["10", "5", "1.0"]
    assert summary["Media giornaliera delle chiamate"] == ["3.3333", "1.6667", "1.0"]
    assert summary["Chiamate con risposta di un operatore"] == ["3", "1", "2.0"]
    assert summary["Messaggi in segreteria"] == ["3", "2", "0.5"]
    assert summary["Chiamate arrivate in orario di apertura"] == ["6", "3", "1.0"]
    assert summary["Tasso di risposta in orario di apertura"] == ["0.5", "0.3333", "0.1667"]
    assert summary["Richieste registrate"] == ["5", "1", "4.0"]
    assert summary["Richiamate andate a buon fine"] == ["2", "1", "1.0"]
    assert summary["Cittadini non raggiungibili"] == ["1", "0", ""]
    assert summary["Tempo mediano fino al primo tentativo di richiamata"] == ["39600", "82830", "-0.5219"]
    assert summary["90° percentile del tempo fino al primo tentativo"] == ["51840", "82830", "-0.3741"]
    assert rows(out, "richiamate")[1:] == [
        ["Richieste di richiamata", "5", "1", "4.0"],
        ["Cittadini richiamati e raggiunti", "2", "1", "1.0"],
        ["Non raggiungibili", "1", "0", ""],
        ["Ancora da richiamare", "2", "0", ""],
        ["Con almeno un tentativo di richiamata", "4", "1", "3.0"],
        ["Tempo mediano fino al primo tentativo", "39600", "82830", "-0.5219"],
        ["Tempo entro cui parte il 90 % dei primi tentativi", "51840", "82830", "-0.3741"],
    ]
    assert rows(out, "chiamate_per_giorno")[1:] == [
        ["2026-05-20", "6", "1", "2", "2", "1", "0"],
        ["2026-05-21", "3", "0", "1", "1", "0", "1"],
        ["2026-05-22", "1", "0", "0", "0", "1", "0"],
    ]
    assert rows(out, "chiamate_per_ora")[1] == ["00:00-01:00", "1", "0"]
    assert rows(out, "esiti_chiamate")[2] == ["Risposta di un operatore", "3", "0.3", "1", "0.2"]
    assert rows(out, "richieste_per_canale")[1] == ["Telefono", "3", "0.6", "1", "1.0"]
    assert rows(out, "chiamate_per_lingua") == [
        ["Lingua", "Periodo", "Quota (periodo)", "Periodo ordinario", "Quota (periodo ordinario)"],
        ["Italiano", "7", "0.7", "4", "0.8"],
        ["Inglese", "3", "0.3", "1", "0.2"],
    ]
    page = (out / "dossier.html").read_text(encoding="utf-8")
    assert "Contact Center 800 840 840: Terremoto Emilia" in page
    assert '<caption>Chiamate per lingua</caption>' in page and 'id="grafico-chiamate_per_lingua"' in page
    assert "Periodo: dal 20/05/2026 al 22/05/2026 (3 giorni)" in page
    assert "periodo ordinario dal 17/05/2026 al 19/05/2026" in page


def test_period_report_lists_each_event_against_its_ordinary_period(config: Path, tmp_path: Path,
                                                                   database_url: str) -> None:
    engine = migrated_engine(database_url)
    with Session(engine) as session:  # a crisis extension belongs to the event it overlaps
        add_extension(session, rome(2026, 5, 22, 18), rome(2026, 5, 23, 8), None, None, SUPERVISOR, now=LINE_OPEN_AT)
        add_extension(session, rome(2026, 5, 24, 9), rome(2026, 5, 24, 13), None, None, SUPERVISOR, now=LINE_OPEN_AT)
        session.commit()
    engine.dispose()
    out = tmp_path / "maggio"
    result = run(config, "report", "--from", "2026-05-01", "--to", "31/05/2026", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert rows(out, "eventi") == [
        ["Evento", "Dal", "Al", "Chiamate", "Chiamate nel periodo ordinario", "Variazione", "Richieste",
         "Messaggi", "Tasso di risposta", "Estensioni d'orario"],
        # the extension opens the line at 18:00 on the 22nd: the call at 23:59 joins the calls while open (3 / 7)
        ["Terremoto Emilia", "2026-05-20", "2026-05-22", "10", "5", "1.0", "5", "3", "0.4286", "1"],
    ]
    summary = {row[0]: row[1:] for row in rows(out, "sintesi")}
    assert summary["Chiamate ricevute"] == ["17", "0", ""]


def test_no_phone_number_name_or_message_in_any_file(config: Path, tmp_path: Path) -> None:
    folders = [tmp_path / "a", tmp_path / "b"]
    assert run(config, "report", "--event", "Terremoto Emilia", "--out", str(folders[0])).exit_code == 0
    assert run(config, "report", "--from", "2026-05-01", "--to", "2026-05-31", "--out", str(folders[1])).exit_code == 0
    files = [path for folder in folders for path in folder.iterdir()]
    assert len(files) == 2 * len(TABLES) + 3
    secrets = (*SECRET_NUMBERS, *SECRET_TEXTS, SUPERVISOR, DESCRIPTION, "Neri", "CAE0000", "E00000")
    for path in files:
        text = path.read_text(encoding="utf-8")
        digits_only = re.sub(r"\D", "", text)
        for secret in secrets:
            assert secret not in text, f"{secret!r} found in {path.name}"
        for number in SECRET_NUMBERS:
            assert number.lstrip("+") not in digits_only or path.suffix == ".html", f"{number} in {path.name}"


def test_the_page_is_self_contained(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "page"
    assert run(config, "report", "--from", "2026-05-01", "--to", "2026-05-31", "--out", str(out)).exit_code == 0
    page = (out / "dossier.html").read_text(encoding="utf-8")
    assert page.count("<svg") == 6
    assert '<html lang="it">' in page
    assert not re.search(r"<(script|link|img|iframe)\b", page)
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?!#)""", page)
    assert "url(http" not in page and "@import" not in page


@pytest.mark.parametrize(("arguments", "message"), [
    (["--from", "2026-05-01", "--out", "x"], "give both --from and --to"),
    (["--out", "x"], "give a period (--from and --to) or an event (--event)"),
    (["--event", "Alluvione", "--out", "x"], "no event named 'Alluvione' (known events: 'Terremoto Emilia')"),
    (["--from", "2026-13-01", "--to", "2026-05-31", "--out", "x"], "invalid date '2026-13-01'"),
    (["--from", "2026-05-01", "--to", "2026-05-31"], "Missing option '--out'"),
])
def test_bad_report_arguments_are_one_clear_line(config: Path, arguments: list[str], message: str) -> None:
    result = run(config, "report", *arguments)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_an_unwritable_folder_is_one_clear_line(config: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    result = run(config, "report", "--from", "2026-05-01", "--to", "2026-05-31", "--out", str(blocker / "sub"))
    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot write to")


def test_an_event_name_is_escaped_in_the_page(config: Path, tmp_path: Path) -> None:
    name = '<script>alert("x")</script> & co'
    assert run(config, "events", "add", name, "--from", "2026-05-10", "--to", "2026-05-11").exit_code == 0
    out = tmp_path / "escaped"
    assert run(config, "report", "--from", "2026-05-01", "--to", "2026-05-31", "--out", str(out)).exit_code == 0
    page = (out / "dossier.html").read_text(encoding="utf-8")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co" in page
    assert rows(out, "eventi")[1][0] == name


def test_the_daily_chart_labels_each_day_once() -> None:
    from datetime import date, timedelta

    from figures.charts import day_ticks
    for length in (1, 3, 4, 12, 13, 31, 366, 1096):
        days = [date(2026, 12, 3) + timedelta(days=number) for number in range(length)]
        ticks = day_ticks(days)
        assert len(ticks) == len(set(ticks)) and 1 <= len(ticks) <= 12 and ticks[0] == days[0]
        assert set(ticks) <= set(days)
