"""Operations: JSON log lines that carry the CallSid of the call being served."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bench.stack import PUBLIC_BASE_URL, free_port, running, serve_command, write_config
from contact_center.app import create_app
from contact_center.logs import CallSidFilter, JsonFormatter, call_sid_context, configure_logging
from tests.conftest import make_settings, post_signed, sign

SID = "CA" + "6" * 32
CALL = {"CallSid": SID, "AccountSid": "AC" + "0" * 32, "From": "+393471234567", "To": "+39800840840"}


@pytest.fixture
def root_logging() -> Iterator[logging.Logger]:
    """The root logger, restored after the test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield root
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def json_lines(root_logging: logging.Logger) -> Iterator[io.StringIO]:
    """What the service logs at INFO, formatted as in production."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(CallSidFilter())
    handler.setFormatter(JsonFormatter())
    root_logging.addHandler(handler)
    root_logging.setLevel(logging.INFO)
    yield stream


def parsed(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_every_line_of_a_webhook_names_its_call(json_lines: io.StringIO, tmp_path: Path) -> None:
    app = create_app(make_settings("postgresql+psycopg://postgres@127.0.0.1:1/none", tmp_path / "i",
                                   operations={"replay_interval_seconds": 60}))
    confirm = "/voice/message/number/confirm?reason=chosen&attempt=1"
    assert post_signed(app.test_client(), confirm, {**CALL, "Digits": "1"}).status_code == 200
    lines = parsed(json_lines)
    assert {line["logger"] for line in lines} >= {"contact_center.durable", "ivr.access"}
    assert all(line["call_sid"] == SID for line in lines)
    [access] = [line for line in lines if line["logger"] == "ivr.access"]
    assert access["route"] == "/voice/message/number/confirm" and access["status"] == 200
    assert isinstance(access["duration_ms"], float)
    assert access["time"].endswith("+00:00") and access["level"] == "INFO"


def test_lines_outside_a_call_carry_no_call_sid_and_keep_tracebacks(json_lines: io.StringIO) -> None:
    log = logging.getLogger("tests.logs")
    with call_sid_context("CA123"):
        log.info("inside")
    try:
        raise ValueError("è andato storto")
    except ValueError:
        log.exception("outside")
    inside, outside = parsed(json_lines)
    assert inside["call_sid"] == "CA123"
    assert "call_sid" not in outside
    assert "ValueError: è andato storto" in outside["exception"]


def test_configured_logging_keeps_the_loggers_created_before_it(
        root_logging: logging.Logger, capsys: pytest.CaptureFixture[str]) -> None:
    early = logging.getLogger("contact_center.durable")
    configure_logging("json")
    with call_sid_context("CA999"):
        early.warning("database unavailable")
    # Only this logger's lines: a thread left behind by an earlier test may log to the same stream.
    [line] = [parsed for parsed in map(json.loads, capsys.readouterr().err.splitlines())
              if parsed["logger"] == "contact_center.durable"]
    assert (line["call_sid"], line["message"]) == ("CA999", "database unavailable")


def test_the_text_format_is_for_a_terminal(root_logging: logging.Logger, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("text")
    with call_sid_context("CA777"):
        logging.getLogger("ivr.webhooks").warning("refused")
    assert capsys.readouterr().err.strip().endswith("WARNING ivr.webhooks [CA777]: refused")


def test_under_gunicorn_each_webhook_is_logged_once(sqlite_url: str, tmp_path: Path) -> None:
    """gunicorn would log every request again in its access log; only the app's line, with the CallSid, remains."""
    config, token = write_config(tmp_path, sqlite_url)
    port = free_port()
    log = tmp_path / "serve.log"
    form = {"CallSid": SID, "From": "+393471234567"}
    with running(serve_command(config, port, workers=1, threads=2), port, log) as server:
        signature = sign(PUBLIC_BASE_URL + "/voice/menu?attempt=1", form, token)
        answer = requests.post(server.url + "/voice/menu?attempt=1", data=form, timeout=30,
                               headers={"X-Twilio-Signature": signature})
        assert answer.status_code == 200
    lines = [json.loads(line) for line in log.read_text("utf-8").splitlines() if line.startswith("{")]
    mentions = [line for line in lines if "/voice/menu" in line["message"]]
    assert [(line["logger"], line["call_sid"]) for line in mentions] == [("ivr.access", SID)]
