"""`contact-center tickets ...` and `tokens ...`: what operators type, and one clear line when it is wrong."""

from __future__ import annotations

import json
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
    assert is_valid_code(code, 8)


def test_status_then_show_with_the_history(config: Path) -> None:
    code = _open(config, "--by", "giulia")
    moved = run(config, "tickets", "status", code, "in-progress", "--note", "presa in carico", "--by", "giulia")
    assert (moved.exit_code, moved.stdout) == (0, f"{code}: received -> in_progress\n")
    forwarded = run(config, "tickets", "status", f"{code[:4]} {code[4:]}", "FORWARDED",
                    "--forwarded-to", "Dipartimento dei Vigili del Fuoco", "--by", "marco")
    assert forwarded.stdout == f"{code}: in_progress -> forwarded (Dipartimento dei Vigili del Fuoco)\n"
    shown = run(config, "tickets", "show", code)
    assert shown.exit_code == 0
    lines = shown.stdout.splitlines()
    assert f"code:              {code}" in lines
    assert "status:            forwarded" in lines
    assert "phone:             +390668201" in lines
    history = lines[lines.index("history:") + 1:]
    assert [line.split("  ", 2)[2] for line in history] == [
        "giulia: - -> received",
        "giulia: received -> in_progress  presa in carico",
        "marco: in_progress -> forwarded (Dipartimento dei Vigili del Fuoco)",
    ]


def test_show_json_is_the_api_shape(config: Path) -> None:
    code = _open(config)
    record = json.loads(run(config, "tickets", "show", code, "--json").stdout)
    assert (record["code"], record["topic"]) == (code, "national_service")
    assert record["summary"] == "Come diventare volontario"
    assert record["history"][0]["to"] == "received"


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
    created = run(config, "tokens", "create", "protezione-civile.it")
    assert created.exit_code == 0
    raw = created.stdout.strip()
    assert raw.startswith("cc_") and len(raw) > 40
    assert "cannot be shown again" in created.stderr
    engine = make_engine(database_url)
    with make_session_factory(engine)() as session:
        assert verify_token(session, raw).name == "protezione-civile.it"
    listed = run(config, "tokens", "list")
    assert "protezione-civile.it" in listed.stdout and raw not in listed.stdout
    assert run(config, "tokens", "revoke", "protezione-civile.it").stdout == "token 'protezione-civile.it' revoked\n"
    with make_session_factory(engine)() as session:
        assert verify_token(session, raw) is None
    engine.dispose()
    assert run(config, "tokens", "list").stdout == "no tokens\n"


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
