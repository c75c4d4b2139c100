"""`contact-center tickets ...` and `tokens ...`: what operators type, and one clear line when it is wrong."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from access.tokens import verify_token
from contact_center.cli import cli
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from tickets.codes import damm_check_digit, is_valid_code


@pytest.fixture
def config(database_url: str, tmp_path: Path) -> Path:
    """A configuration file on the parametrized database, migrated."""
    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()
    path = tmp_path / "config.yaml"
    path.write_text(f"database:\n  url: '{database_url}'\n  instance_dir: '{tmp_path / 'instance'}'\n", "utf-8")
    return path


def run(config: Path, group: str, *args: str) -> Result:
    """Run `contact-center --config CONFIG GROUP ARGS`."""
    return CliRunner().invoke(cli, ["--config", str(config), group, *args])


def _open(config: Path, *extra: str) -> str:
    result = run(config, "tickets", "open", "--channel", "phone", "--topic", "national-service",
                 "--phone", "+39 06 6820 1", "--summary", "Come diventare volontario", *extra)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def test_open_prints_only_the_new_code(config: Path) -> None:
    code = _open(config)
    assert is_valid_code(code, 12)


def test_status_then_show_with_the_history_in_italian(config: Path) -> None:
    code = _open(config, "--by", "giulia")
    moved = run(config, "tickets", "status", code, "in-progress", "--note", "presa in carico", "--by", "giulia")
    assert (moved.exit_code, moved.stdout) == (0, f"{code}: ricevuta -> in lavorazione\n")
    forwarded = run(config, "tickets", "status", f"{code[:4]} {code[4:]}", "FORWARDED",
                    "--forwarded-to", "Dipartimento dei Vigili del Fuoco", "--by", "marco")
    assert forwarded.stdout == (f"{code}: in lavorazione -> inoltrata all'ente competente "
                                "(Dipartimento dei Vigili del Fuoco)\n")
    shown = run(config, "tickets", "show", code)
    assert shown.exit_code == 0
    lines = shown.stdout.splitlines()
    when = re.compile(r"\d\d/\d\d/\d{4} \d\d:\d\d")
    assert [when.sub("GG/MM/AAAA hh:mm", line) for line in lines[:lines.index("Cronologia:")]] == [
        f"Codice:            {code}",
        "Stato:             inoltrata all'ente competente",
        "Ente competente:   Dipartimento dei Vigili del Fuoco",
        "Canale:            telefono",
        "Argomento:         attività e competenze del Servizio nazionale di protezione civile",
        "Telefono:          +390668201",
        "Ricevuta:          GG/MM/AAAA hh:mm",
        "Stato aggiornato:  GG/MM/AAAA hh:mm",
        "Sintesi:           Come diventare volontario",
    ]
    history = lines[lines.index("Cronologia:") + 1:]
    assert all(when.fullmatch(line[2:18]) for line in history)
    assert [line[20:] for line in history] == [
        "giulia: - -> ricevuta",
        "giulia: ricevuta -> in lavorazione  presa in carico",
        "marco: in lavorazione -> inoltrata all'ente competente (Dipartimento dei Vigili del Fuoco)",
    ]
    assert not {"received", "in_progress", "forwarded", "phone", "national_service"} & set(shown.stdout.split())


def test_show_names_every_status_channel_and_topic_in_italian(config: Path) -> None:
    result = run(config, "tickets", "open", "--channel", "email", "--topic", "risks", "--email", "a@example.it",
                 "--summary", "Piano di emergenza comunale")
    code = result.stdout.strip()
    run(config, "tickets", "status", code, "waiting-for-citizen")
    run(config, "tickets", "status", code, "closed")
    shown = run(config, "tickets", "show", code).stdout
    assert "Canale:            e-mail\n" in shown and "E-mail:            a@example.it\n" in shown
    assert "Argomento:         rischi sul territorio e norme di comportamento\n" in shown
    assert "Stato:             chiusa\n" in shown
    assert ": ricevuta -> in attesa di informazioni dal cittadino\n" in shown
    assert ": in attesa di informazioni dal cittadino -> chiusa\n" in shown


def test_show_json_is_the_api_shape(config: Path) -> None:
    code = _open(config)
    record = json.loads(run(config, "tickets", "show", code, "--json").stdout)
    assert (record["code"], record["topic"]) == (code, "national_service")
    assert record["summary"] == "Come diventare volontario"
    assert record["history"][0]["to"] == "received"
    assert (record["status"], record["status_label"], record["channel"]) == ("received", "ricevuta", "phone")
    assert set(record) == {"code", "channel", "channel_label", "topic", "topic_label", "status", "status_label",
                           "forwarded_to", "phone", "email", "summary", "call_sid", "created_at",
                           "status_changed_at", "history"}


@pytest.mark.parametrize(("args", "message"), [
    (("open", "--channel", "pigeon", "--summary", "x"), "unknown channel 'pigeon'"),
    (("open", "--channel", "web", "--topic", "meteo", "--summary", "x"), "unknown topic 'meteo'"),
    (("open", "--channel", "web", "--summary", " "), "the summary is empty"),
    (("open", "--channel", "web", "--summary", "x", "--phone", "abc"), "not a phone number: 'abc'"),
    (("open", "--channel", "web", "--summary", "x", "--email", "a@b"), "not an e-mail address: 'a@b'"),
    (("status", "12345678", "closed"), "'12345678' is not a valid tracking code"),
    (("status", "CODE", "sleeping"), "unknown status 'sleeping'"),
    (("status", "CODE", "forwarded"), "forwarding a ticket requires the name of the competent institution"),
    (("status", "CODE", "received"), "cannot move a ticket from received to received"),
    (("status", "CODE", "closed", "--forwarded-to", "ANAS"), "an institution is named only when forwarding"),
    (("show", "UNKNOWN"), "no ticket with code"),
    (("show", "abc"), "'abc' is not a valid tracking code"),
])
def test_bad_input_is_one_clear_line(config: Path, args: tuple[str, ...], message: str) -> None:
    code = _open(config)
    body = ("9" if code[0] != "9" else "8") + code[1:-1]
    replacements = {"CODE": code, "UNKNOWN": body + damm_check_digit(body)}
    result = run(config, "tickets", *(replacements.get(arg, arg) for arg in args))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert "Traceback" not in result.output


def test_a_failed_status_change_changes_nothing(config: Path) -> None:
    code = _open(config)
    run(config, "tickets", "status", code, "closed")
    assert run(config, "tickets", "status", code, "forwarded", "--forwarded-to", "ANAS").exit_code == 1
    record = json.loads(run(config, "tickets", "show", code, "--json").stdout)
    assert [step["to"] for step in record["history"]] == ["received", "closed"]


def test_an_unmigrated_database_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(f"database:\n  url: 'sqlite:///{tmp_path / 'empty.db'}'\n  instance_dir: '{tmp_path}'\n", "utf-8")
    result = run(path, "tickets", "show", "12345674")
    assert result.exit_code == 1
    assert "the database schema is not current: run `contact-center db upgrade`" in result.stderr


def test_tokens_create_list_revoke(config: Path, database_url: str) -> None:
    created = run(config, "tokens", "create", "protezione-civile.it", "--scope", "tickets:write",
                  "--scope", "tickets:read")
    assert created.exit_code == 0
    raw = created.stdout.strip()
    assert raw.startswith("cc_") and len(raw) > 40
    assert created.stderr == ("token 'protezione-civile.it' creato con i permessi tickets:read tickets:write: "
                              "copialo ora, non potrà più essere mostrato\n")
    engine = make_engine(database_url)
    with make_session_factory(engine)() as session:
        assert verify_token(session, raw).name == "protezione-civile.it"
        assert verify_token(session, raw).scopes == "tickets:read tickets:write"
    listed = run(config, "tokens", "list")
    assert re.fullmatch(r"protezione-civile\.it {20}  creato il \d\d/\d\d/\d{4} \d\d:\d\d"
                        r"  permessi tickets:read tickets:write\n", listed.stdout)
    assert raw not in listed.stdout
    assert run(config, "tokens", "revoke", "protezione-civile.it").stdout == "token 'protezione-civile.it' revocato\n"
    with make_session_factory(engine)() as session:
        assert verify_token(session, raw) is None
    engine.dispose()
    assert run(config, "tokens", "list").stdout == "nessun token\n"
    least = run(config, "tokens", "create", "minimo")
    assert "creato con i permessi tickets:read:" in least.stderr


@pytest.mark.parametrize(("args", "message"), [
    (("create", "bad name"), "invalid token name 'bad name'"),
    (("create", ".hidden"), "invalid token name '.hidden'"),
    (("create", "dup"), "a token named 'dup' already exists"),
    (("revoke", "nobody"), "no token named 'nobody'"),
])
def test_token_errors_are_one_line(config: Path, args: tuple[str, ...], message: str) -> None:
    run(config, "tokens", "create", "dup")
    result = run(config, "tokens", *args)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and message in result.stderr
