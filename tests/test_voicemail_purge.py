"""Retention: recordings and personal data go past the configured age; anonymous counts stay."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from callsim.fake_api import FakeTwilioApi
from contact_center.cli import cli
from contact_center.twilio_rest import TwilioRest
from storage import call_log
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import Call, CallbackAttempt, CallbackMessage, CallbackRequest, Ticket
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, make_settings
from voicemail.callbacks import Recording, attach_recording, open_callback_request
from voicemail.queue import CallbackPolicy, record_outcome
from voicemail.recordings import RecordingUnavailable
from voicemail.retention import parse_age, purge
from voicemail.store import LocalFolderStore

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=120)


@pytest.fixture
def fake_api() -> Iterator[FakeTwilioApi]:
    with FakeTwilioApi(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN) as api:
        yield api


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield make_session_factory(engine)
    engine.dispose()


def entry_with_message(sessions: sessionmaker[Session], index: int, created_at: datetime, outcome: str | None,
                       recordings: Path, api: FakeTwilioApi) -> int:
    """An entry with a copied recording and a transcript, closed by `outcome` (None: still pending)."""
    call_sid, recording_sid = f"CA{index:032d}", f"RE{index:032d}"
    api.add_recording(recording_sid, call_sid, 8)
    (recordings / f"{recording_sid}.wav").write_bytes(b"RIFF....")
    with sessions.begin() as session:
        message = open_callback_request(session, call_sid, f"+39347000{index:04d}", "caller_id", "closed", now=NOW)
        attach_recording(session, call_sid, Recording(recording_sid, "https://api.twilio.com/r", 8), now=NOW)
        message.copy_status, message.recording_path = "copied", f"{recording_sid}.wav"
        message.transcript, message.created_at = "Mi chiamo Mario Rossi", created_at
        entry = session.get(CallbackRequest, message.entry_id)
        entry.created_at = created_at
        entry_id = entry.id
    if outcome is not None:
        with sessions.begin() as session:
            record_outcome(session, entry_id, outcome, CallbackPolicy(), operator="anna", note="ha chiesto di Mario",
                           now=NOW)
    return entry_id


def counts(sessions: sessionmaker[Session]) -> Counter[tuple[str, str]]:
    with sessions() as session:
        return Counter(session.execute(select(CallbackRequest.reason, CallbackRequest.status)).tuples().all())


def test_purge_removes_recordings_and_personal_data_of_old_closed_entries(
        sessions: sessionmaker[Session], fake_api: FakeTwilioApi, tmp_path: Path) -> None:
    rest = TwilioRest(make_settings("sqlite://", tmp_path, twilio={"api_base_url": fake_api.base_url}).twilio, 5.0)
    old_done = entry_with_message(sessions, 1, OLD, "reached", tmp_path, fake_api)
    old_unreachable = entry_with_message(sessions, 2, OLD, "wrong_number", tmp_path, fake_api)
    old_pending = entry_with_message(sessions, 3, OLD, None, tmp_path, fake_api)
    recent_done = entry_with_message(sessions, 4, NOW - timedelta(days=10), "reached", tmp_path, fake_api)
    before = counts(sessions)

    report = purge(sessions, timedelta(days=90), LocalFolderStore(tmp_path), rest, now=NOW)

    assert (report.entries, report.messages, report.files, report.twilio_deleted) == (2, 2, 2, 2)
    assert report.open_past_retention == 1 and report.kept_for_twilio == []
    assert sorted(fake_api.deleted_recordings) == [f"RE{1:032d}", f"RE{2:032d}"]
    assert sorted(path.name for path in tmp_path.glob("RE*.wav")) == [f"RE{3:032d}.wav", f"RE{4:032d}.wav"]
    assert counts(sessions) == before
    with sessions() as session:
        for entry_id in (old_done, old_unreachable):
            entry = session.get(CallbackRequest, entry_id)
            [message] = session.scalars(select(CallbackMessage).where(CallbackMessage.entry_id == entry_id))
            [attempt] = session.scalars(select(CallbackAttempt).where(CallbackAttempt.entry_id == entry_id))
            ticket = session.get(Ticket, message.ticket_id)
            assert entry.callback_number is None and entry.purged_at == NOW
            assert (message.callback_number, message.recording_sid, message.recording_url,
                    message.recording_path, message.transcript) == (None, None, None, None, None)
            assert (message.message_status, message.recording_duration) == ("recorded", 8)
            assert (attempt.note, attempt.operator) == (None, "anna") and ticket.contact_phone is None
        for entry_id in (old_pending, recent_done):
            entry = session.get(CallbackRequest, entry_id)
            assert entry.callback_number is not None and entry.purged_at is None
    assert purge(sessions, timedelta(days=90), LocalFolderStore(tmp_path), rest, now=NOW).entries == 0


def test_a_recording_twilio_does_not_delete_keeps_its_entry_for_the_next_purge(
        sessions: sessionmaker[Session], fake_api: FakeTwilioApi, tmp_path: Path) -> None:
    entry_id = entry_with_message(sessions, 1, OLD, "reached", tmp_path, fake_api)

    class Refusing:
        def download(self, recording_sid: str, file_format: str) -> bytes:
            raise RecordingUnavailable("not used")

        def delete(self, recording_sid: str) -> None:
            raise RecordingUnavailable("Twilio answered 500")

    report = purge(sessions, timedelta(days=90), LocalFolderStore(tmp_path), Refusing(), now=NOW)
    assert (report.entries, report.kept_for_twilio) == (0, [entry_id])
    with sessions() as session:
        assert session.get(CallbackRequest, entry_id).purged_at is None


@pytest.mark.parametrize(("text", "age"), [("90d", timedelta(days=90)), ("12w", timedelta(weeks=12)),
                                           (" 36H ", timedelta(hours=36))])
def test_ages_are_days_weeks_or_hours(text: str, age: timedelta) -> None:
    assert parse_age(text) == age


@pytest.mark.parametrize("text", ["90", "0d", "d", "tre mesi", "-5d", "90m"])
def test_other_ages_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not an age"):
        parse_age(text)


def write_config(tmp_path: Path, database_url: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"database": {"url": database_url, "instance_dir": str(tmp_path / "i")}}))
    return path


def test_the_purge_command_reports_and_refuses_a_bad_age_in_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    config = write_config(tmp_path, url)
    runner = CliRunner()
    done = runner.invoke(cli, ["--config", str(config), "voicemail", "purge", "--older-than", "90d"])
    assert done.exit_code == 0, done.output
    assert "richiamate anonimizzate: 0" in done.output
    refused = runner.invoke(cli, ["--config", str(config), "voicemail", "purge", "--older-than", "tre mesi"])
    assert refused.exit_code != 0
    assert refused.output.strip().splitlines() == ["Error: --older-than 'tre mesi': indica un'età come 90d, 12w o 36h"]


def test_the_call_log_forgets_callers_numbers_past_the_retention(sessions: sessionmaker[Session],
                                                                 tmp_path: Path) -> None:
    with sessions.begin() as session:
        for index, started_at in enumerate((OLD, NOW - timedelta(days=91), NOW - timedelta(days=89))):
            call_log.record_call_start(session, f"CA{index:032d}", f"+39347000{index:04d}", "+39800840840", now=NOW)
            call_log.record_call_outcome(session, f"CA{index:032d}", "message", now=NOW)
            session.execute(update(Call).where(Call.call_sid == f"CA{index:032d}").values(started_at=started_at))
    report = purge(sessions, timedelta(days=90), LocalFolderStore(tmp_path), None, now=NOW)
    assert report.calls == 2
    with sessions() as session:
        rows = session.execute(select(Call.call_sid, Call.caller_number, Call.outcome).order_by(Call.id)).all()
    assert [tuple(row) for row in rows] == [(f"CA{0:032d}", None, "message"), (f"CA{1:032d}", None, "message"),
                                            (f"CA{2:032d}", "+393470000002", "message")]
    assert purge(sessions, timedelta(days=90), LocalFolderStore(tmp_path), None, now=NOW).calls == 0
