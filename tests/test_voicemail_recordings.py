"""Recording copies through the real Twilio client and the fake API: retries, deletion, transcription."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from callsim.fake_api import FakeTwilioApi
from callsim.simulator import Simulator
from callsim.transport import WSGITransport
from contact_center.config import ConfigError, Settings
from contact_center.services import copy_policy, recording_store, rest_client, transcriber
from contact_center.twilio_rest import TwilioRest
from storage.models import CallbackMessage
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, LINE_OPEN_AT, make_app, make_settings
from voicemail.callbacks import Recording, attach_recording, open_callback_request
from voicemail.recordings import RecordingUnavailable, copy_due_recordings, retry_failed
from voicemail.transcription import NoTranscription, load_transcriber

CALL_SID = "CA" + "1" * 32
RECORDING_SID = "RE" + "a" * 32


class EchoTranscriber:
    """A test double: its "text" tells which file, in which language, it was handed."""

    def transcribe(self, audio_path: Path, language: str) -> str | None:
        audio = audio_path.read_bytes()
        return f"[{language}] {audio_path.name} {audio[:4].decode()} {len(audio)}"


@pytest.fixture
def fake_api() -> Iterator[FakeTwilioApi]:
    with FakeTwilioApi(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN) as api:
        yield api


def build(database_url: str, tmp_path: Path, api: FakeTwilioApi, **voicemail: Any) -> Flask:
    return make_app(make_settings(database_url, tmp_path / "instance", twilio={"api_base_url": api.base_url},
                                  voicemail=voicemail))


@pytest.fixture
def app(database_url: str, tmp_path: Path, fake_api: FakeTwilioApi) -> Iterator[Flask]:
    app = build(database_url, tmp_path, fake_api, delete_from_twilio=True, copy_max_attempts=3)
    yield app
    app.extensions["contact_center"].engine.dispose()


def settings_of(app: Flask) -> Settings:
    return app.extensions["contact_center"].settings


def left_message(app: Flask, api: FakeTwilioApi, call_sid: str = CALL_SID, recording_sid: str = RECORDING_SID) -> None:
    """A message whose recording Twilio holds, waiting to be copied."""
    api.add_recording(recording_sid, call_sid, 6)
    with app.extensions["contact_center"].sessions.begin() as session:
        open_callback_request(session, call_sid, "+393471234567", "caller_id", "closed", now=LINE_OPEN_AT)
        attach_recording(session, call_sid, Recording(recording_sid, "https://api.twilio.com/x", 6), now=LINE_OPEN_AT)


def copy_now(app: Flask) -> Any:
    settings = settings_of(app)
    return copy_due_recordings(app.extensions["contact_center"].sessions, rest_client(settings),
                               copy_policy(settings), transcriber(settings), clock=lambda: LINE_OPEN_AT)


def message(app: Flask, call_sid: str = CALL_SID) -> CallbackMessage:
    with app.extensions["contact_center"].sessions() as session:
        return session.scalars(select(CallbackMessage).where(CallbackMessage.call_sid == call_sid)).one()


def make_due(app: Flask) -> None:
    """Let time pass: every scheduled copy is due."""
    with app.extensions["contact_center"].sessions.begin() as session:
        session.execute(update(CallbackMessage).where(CallbackMessage.copy_next_at.is_not(None))
                        .values(copy_next_at=LINE_OPEN_AT - timedelta(seconds=1)))


def test_a_failed_copy_is_retried_later_and_never_loses_twilios_copy(app: Flask, fake_api: FakeTwilioApi) -> None:
    left_message(app, fake_api)
    fake_api.fail_next(1, status=503)
    report = copy_now(app)
    stored = message(app)
    assert report.failed == [RECORDING_SID] and report.copied == []
    assert (stored.copy_status, stored.copy_attempts, stored.recording_path) == ("pending", 1, None)
    assert "503" in (stored.copy_error or "") and stored.copy_next_at > LINE_OPEN_AT
    assert fake_api.deleted_recordings == []
    assert copy_now(app).copied == []  # not due yet

    make_due(app)
    report = copy_now(app)
    stored = message(app)
    assert report.copied == [RECORDING_SID] and report.deleted == [RECORDING_SID]
    assert stored.copy_status == "copied" and stored.twilio_deleted_at is not None
    local = recording_store(settings_of(app)).path(stored.recording_path)  # type: ignore[attr-defined]
    assert local.read_bytes()[:4] == b"RIFF" and local.stat().st_size > 44
    assert fake_api.deleted_recordings == [RECORDING_SID]


def test_after_the_last_attempt_the_copy_gives_up_and_twilio_keeps_the_recording(
        app: Flask, fake_api: FakeTwilioApi) -> None:
    left_message(app, fake_api)
    for _ in range(3):
        fake_api.fail_next(1)
        make_due(app)
        copy_now(app)
    stored = message(app)
    assert (stored.copy_status, stored.copy_attempts) == ("failed", 3)
    make_due(app)
    assert copy_now(app).copied == [] and fake_api.deleted_recordings == []
    with app.extensions["contact_center"].sessions.begin() as session:
        assert retry_failed(session, now=LINE_OPEN_AT) == 1
    assert copy_now(app).copied == [RECORDING_SID]


def test_a_failed_deletion_keeps_the_copy_and_is_retried(app: Flask, fake_api: FakeTwilioApi) -> None:
    left_message(app, fake_api)
    settings = settings_of(app)
    rest = rest_client(settings)

    class FailingDelete:
        def download(self, recording_sid: str, file_format: str) -> bytes:
            return rest.download(recording_sid, file_format)

        def delete(self, recording_sid: str) -> None:
            raise RecordingUnavailable("Twilio answered 500")

    report = copy_due_recordings(app.extensions["contact_center"].sessions, FailingDelete(),
                                 copy_policy(settings), NoTranscription(), clock=lambda: LINE_OPEN_AT)
    assert report.copied == [RECORDING_SID] and report.deleted == []
    assert message(app).twilio_deleted_at is None and fake_api.deleted_recordings == []
    assert copy_now(app).deleted == [RECORDING_SID]
    assert message(app).twilio_deleted_at is not None


def test_the_recording_callback_copies_its_recording_and_retries_an_earlier_failure(
        app: Flask, fake_api: FakeTwilioApi) -> None:
    simulator = Simulator(WSGITransport(app), auth_token=AUTH_TOKEN, public_base_url="http://localhost",
                          account_sid=ACCOUNT_SID, api_base_url=fake_api.base_url, recording_store=fake_api)
    first = simulator.dial(from_="+393471234567")
    first.press("3")
    first.press("1")
    fake_api.fail_next(1)
    first.record(seconds=5, finish_key="#")
    assert message(app, first.sid).copy_status == "pending"
    make_due(app)
    second = simulator.dial(from_="+393339876543")
    second.press("3")
    second.press("1")
    second.record(seconds=5, finish_key="#")
    assert [message(app, call.sid).copy_status for call in (first, second)] == ["copied", "copied"]
    assert first.errors == second.errors == []


def test_transcription_is_off_by_default(app: Flask, fake_api: FakeTwilioApi) -> None:
    assert isinstance(transcriber(settings_of(app)), NoTranscription)
    left_message(app, fake_api)
    copy_now(app)
    assert message(app).transcript is None


def test_a_configured_transcriber_is_called_with_the_local_copy(
        database_url: str, tmp_path: Path, fake_api: FakeTwilioApi) -> None:
    app = build(database_url, tmp_path, fake_api, transcriber="tests.test_voicemail_recordings:EchoTranscriber")
    left_message(app, fake_api)
    copy_now(app)
    stored = message(app)
    local = recording_store(settings_of(app)).path(stored.recording_path)  # type: ignore[attr-defined]
    assert stored.transcript == f"[it-IT] {RECORDING_SID}.wav RIFF {local.stat().st_size}"
    app.extensions["contact_center"].engine.dispose()


def test_a_transcriber_that_cannot_be_loaded_is_a_configuration_error(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 'db'}", tmp_path,
                             voicemail={"transcriber": "nowhere.at_all:Thing"})
    with pytest.raises(ConfigError, match=r"voicemail\.transcriber"):
        transcriber(settings)
    assert isinstance(load_transcriber(""), NoTranscription)


@pytest.mark.parametrize(("sid", "account", "problem"), [
    ("../../Calls", ACCOUNT_SID, "not a recording SID"),
    (RECORDING_SID, "", "no Twilio account SID"),
])
def test_the_rest_client_refuses_what_it_must_not_fetch(sid: str, account: str, problem: str) -> None:
    settings = make_settings("sqlite://", Path("/tmp"), twilio={"account_sid": account}).twilio
    with pytest.raises(RecordingUnavailable, match=problem):
        TwilioRest(settings, 1.0).download(sid, "wav")
