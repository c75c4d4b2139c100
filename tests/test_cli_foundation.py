"""The console script: database commands and the callback list after a simulated call."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import contact_center.cli.serve as serve_module
from callsim import Simulator, WSGITransport
from contact_center.app import create_app
from contact_center.cli import cli
from contact_center.config import load_settings
from storage.migrate import head_revisions
from tests.conftest import AUTH_TOKEN

CALLER = "+393471234567"


def write_config(tmp_path: Path, database_url: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({
        "database": {"url": database_url, "instance_dir": str(tmp_path / "instance")},
        "twilio": {"auth_token": AUTH_TOKEN},
    }), "utf-8")
    return path


def test_a_message_left_by_a_simulated_call_is_listed(tmp_path: Path, database_url: str) -> None:
    config = write_config(tmp_path, database_url)
    runner = CliRunner()
    upgraded = runner.invoke(cli, ["--config", str(config), "db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output

    app = create_app(load_settings(config, environ={}))
    call = Simulator(WSGITransport(app), auth_token=AUTH_TOKEN).dial(from_=CALLER)
    call.press("3")
    call.press("1")
    call.record(seconds=21, finish_key="#")
    app.extensions["contact_center"].engine.dispose()

    listed = runner.invoke(cli, ["--config", str(config), "callbacks", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    [entry] = json.loads(listed.output)
    assert entry["callback_number"] == CALLER
    [message] = entry["messages"]
    assert message["recording_sid"] == call.recordings[0].sid
    assert (message["recording_duration"], entry["reason"], entry["status"]) == (21, "chosen", "pending")
    assert entry["created_at"].endswith(("+01:00", "+02:00"))

    table = runner.invoke(cli, ["--config", str(config), "callbacks", "list"])
    assert CALLER in table.output and "21 s" in table.output


def test_listing_before_the_schema_exists_says_what_to_do(tmp_path: Path, sqlite_url: str) -> None:
    config = write_config(tmp_path, sqlite_url)
    result = CliRunner().invoke(cli, ["--config", str(config), "callbacks", "list"], standalone_mode=False)
    assert result.exception is not None
    assert "contact-center db upgrade" in str(result.exception)


def test_a_bad_argument_is_one_clear_line(tmp_path: Path, sqlite_url: str) -> None:
    config = write_config(tmp_path, sqlite_url)
    result = CliRunner().invoke(cli, ["--config", str(config), "callbacks", "list", "--status", "lost"])
    assert result.exit_code != 0
    assert result.output.strip().splitlines() == [
        "Error: stato sconosciuto 'lost': usa open, pending, claimed, done, unreachable, all"]


def test_db_current_reports_both_sides(tmp_path: Path, sqlite_url: str) -> None:
    config = write_config(tmp_path, sqlite_url)
    runner = CliRunner()
    heads = ", ".join(sorted(head_revisions()))
    empty = runner.invoke(cli, ["--config", str(config), "db", "current"])
    assert empty.output == f"database: vuoto\ncodice:   {heads}\n"
    upgraded = runner.invoke(cli, ["--config", str(config), "db", "upgrade"])
    assert upgraded.output == f"database alla revisione {heads}\n"
    result = runner.invoke(cli, ["--config", str(config), "db", "current"])
    assert result.exit_code == 0
    assert result.output == f"database: {heads}\ncodice:   {heads}\n"
    replayed = runner.invoke(cli, ["--config", str(config), "db", "replay-journal"])
    assert replayed.output == "scritture del giornale riportate nel database: 0\n"


def test_serve_says_in_italian_where_it_listens(tmp_path: Path, sqlite_url: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[dict[str, object]] = []

    class Gunicorn:
        def __init__(self, settings: object, options: dict[str, object]) -> None:
            started.append(options)

        def run(self) -> None:
            """Return at once instead of serving."""

    monkeypatch.setattr(serve_module, "_Gunicorn", Gunicorn)
    monkeypatch.setattr(serve_module, "configure_logging", lambda log_format: None)
    monkeypatch.setattr(serve_module, "prepare_metrics_directory", lambda instance_dir: tmp_path)
    config = write_config(tmp_path, sqlite_url)
    result = CliRunner().invoke(cli, ["--config", str(config), "serve", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert result.output == ("Contact Center +39800840840 in ascolto su http://127.0.0.1:8123 (Voice URL "
                             "/voice/incoming, Fallback URL /voice/fallback, Status Callback /voice/status)\n")
    assert [options["bind"] for options in started] == ["127.0.0.1:8123"]
