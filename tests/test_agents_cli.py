"""`contact-center agents ...` through click's CliRunner: roster, presence, one-line errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from contact_center.cli import cli
from storage.db import make_engine
from storage.migrate import upgrade


@pytest.fixture
def run(database_url: str, tmp_path: Path):
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"database": {"url": database_url, "instance_dir": str(tmp_path / "i")}}))
    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()
    runner = CliRunner()

    def invoke(*arguments: str):
        return runner.invoke(cli, ["--config", str(config), "agents", *arguments])

    return invoke


def test_add_list_status_remove_in_italian(run) -> None:
    added = run("add", "Anna Rossi", "--phone", "+39 06 6820 1234", "--topic", "risks", "--topic", "campaigns")
    assert added.exit_code == 0, added.output
    assert added.output == "operatore Anna Rossi aggiunto (+390668201234): non in servizio\n"
    assert run("add", "Bruno", "--client", "bruno_1", "--language", "it", "--language", "en").exit_code == 0
    assert run("status", "Anna Rossi", "available").output == "Anna Rossi: ora disponibile\n"
    assert run("status", "Anna Rossi", "AVAILABLE").output == "Anna Rossi: già disponibile\n"
    assert run("status", "Bruno", "away").output == "Bruno: ora in pausa\n"
    table = run("list").output.splitlines()
    assert table[0].split() == ["NOME", "RECAPITO", "STATO", "DAL", "PERSE", "LINGUE", "ARGOMENTI"]
    assert table[1].startswith("Anna Rossi") and "+390668201234" in table[1] and "  disponibile  " in table[1]
    assert re.search(r"  \d\d/\d\d/\d{4} \d\d:\d\d  ", table[1])
    topics = ("rischi sul territorio e norme di comportamento", "iniziative e materiale di divulgazione")
    assert table[1].endswith((", ".join(topics), ", ".join(reversed(topics))))
    assert "client:bruno_1" in table[2] and "  in pausa  " in table[2] and table[2].endswith("tutti gli argomenti")
    assert not {"available", "away", "risks", "campaigns"} & set(" ".join(table).replace(",", " ").split())
    listed = json.loads(run("list", "--json").output)
    assert [(row["name"], row["state"], row["languages"], row["topics"]) for row in listed] == [
        ("Anna Rossi", "available", ["it"], ["campaigns", "risks"]), ("Bruno", "away", ["it", "en"], [])]
    assert listed[0]["since"].endswith(("+01:00", "+02:00"))
    assert run("remove", "Bruno").output == "operatore Bruno rimosso\n"
    assert [row["name"] for row in json.loads(run("list", "--json").output)] == ["Anna Rossi"]


def test_an_empty_roster_says_how_to_add_an_operator(run) -> None:
    assert run("list").output.startswith("nessun operatore: aggiungine uno con `contact-center agents add NOME")


@pytest.mark.parametrize(("arguments", "message"), [
    (("add", "Anna"), "give exactly one way to reach the operator"),
    (("add", "Anna", "--phone", "+390668201234", "--client", "anna"), "give exactly one way"),
    (("add", "Anna", "--phone", "06 6820 1234"), "is not a phone number in E.164 form"),
    (("add", "Anna", "--phone", "+390668201234", "--topic", "meteo"), "unknown topic 'meteo'"),
    (("add", "Anna", "--client", "a b"), "is not a Twilio Client identity"),
    (("status", "Nobody", "away"), "no operator named 'Nobody'"),
    (("status", "Anna", "on_call"), "unknown status 'on_call'; valid values: available, away, offline"),
    (("remove", "Nobody"), "no operator named 'Nobody'"),
])
def test_bad_input_is_one_clear_line_and_a_failure(run, arguments: tuple[str, ...], message: str) -> None:
    result = run(*arguments)
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and message in result.output
    assert "Traceback" not in result.output


def test_a_duplicate_operator_is_refused(run) -> None:
    run("add", "Anna", "--phone", "+390668201234")
    result = run("add", "Anna", "--phone", "+390668201299")
    assert result.exit_code == 1 and result.output == "Error: an operator named 'Anna' already exists\n"
