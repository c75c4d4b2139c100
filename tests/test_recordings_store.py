"""Recordings in an S3-compatible object store (moto's server on loopback): copies, outages, console, purge."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select, update

from access.accounts import Role
from callsim.audio import silent_wav
from callsim.fake_api import FakeTwilioApi
from contact_center.config import ConfigError, load_settings
from contact_center.services import copy_policy, recording_store, rest_client, transcriber
from storage.models import CallbackMessage, CallbackRequest
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, LINE_OPEN_AT, make_app, make_settings
from tests.test_console_support import create_account, sign_in
from voicemail.callbacks import Recording, attach_recording, open_callback_request
from voicemail.queue import CallbackPolicy, record_outcome
from voicemail.recordings import CopyReport, copy_due_recordings
from voicemail.retention import purge
from voicemail.store import LocalFolderStore, S3Store

if TYPE_CHECKING:
    from tests.object_store import ObjectStore

pytest_plugins = ("tests.s3_support",)  # the s3_server and object_store fixtures

CALL_SID = "CA" + "2" * 32
RECORDING_SID = "RE" + "b" * 32
SECONDS = 6
KEY = f"2026/11/{RECORDING_SID}.wav"
METRICS_TOKEN = "store-metrics-token"


@pytest.fixture
def fake_api() -> Iterator[FakeTwilioApi]:
    with FakeTwilioApi(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN) as api:
        yield api


@pytest.fixture
def bucket(object_store: ObjectStore) -> str:
    return object_store.new_bucket()


@pytest.fixture
def app(database_url: str, tmp_path: Path, fake_api: FakeTwilioApi, bucket: str) -> Iterator[Flask]:
    app = make_app(make_settings(database_url, tmp_path / "instance", twilio={"api_base_url": fake_api.base_url},
                                 voicemail={"recordings_store": f"s3://{bucket}/line-800840840",
                                            "recordings_encryption": "AES256", "delete_from_twilio": True,
                                            "copy_max_attempts": 3},
                                 operations={"metrics_token": METRICS_TOKEN}))
    yield app
    app.extensions["contact_center"].engine.dispose()


def left_message(app: Flask, api: FakeTwilioApi) -> None:
    api.add_recording(RECORDING_SID, CALL_SID, SECONDS)
    with app.extensions["contact_center"].sessions.begin() as session:
        open_callback_request(session, CALL_SID, "+393471234567", "caller_id", "closed", now=LINE_OPEN_AT)
        attach_recording(session, CALL_SID, Recording(RECORDING_SID, "https://api.twilio.com/x", SECONDS),
                         now=LINE_OPEN_AT)


def copy_now(app: Flask) -> CopyReport:
    settings = app.extensions["contact_center"].settings
    return copy_due_recordings(app.extensions["contact_center"].sessions, rest_client(settings),
                               copy_policy(settings), transcriber(settings), clock=lambda: LINE_OPEN_AT)


def message(app: Flask) -> CallbackMessage:
    with app.extensions["contact_center"].sessions() as session:
        return session.scalars(select(CallbackMessage).where(CallbackMessage.call_sid == CALL_SID)).one()


def test_a_copy_lands_in_the_bucket_encrypted_and_only_then_leaves_twilio(
        app: Flask, fake_api: FakeTwilioApi, object_store: ObjectStore, bucket: str) -> None:
    left_message(app, fake_api)
    report = copy_now(app)
    assert report.copied == [RECORDING_SID] and report.deleted == [RECORDING_SID]
    assert object_store.keys(bucket) == [f"line-800840840/{KEY}"]
    head = object_store.client().head_object(Bucket=bucket, Key=f"line-800840840/{KEY}")
    assert (head["ServerSideEncryption"], head["ContentType"]) == ("AES256", "audio/wav")
    body = object_store.client().get_object(Bucket=bucket, Key=f"line-800840840/{KEY}")["Body"].read()
    assert body == silent_wav(SECONDS)
    assert (message(app).copy_status, message(app).recording_path) == ("copied", KEY)


def test_while_the_store_is_down_the_copy_waits_and_twilio_keeps_the_recording(
        app: Flask, fake_api: FakeTwilioApi, object_store: ObjectStore, bucket: str) -> None:
    left_message(app, fake_api)
    object_store.cut()
    report = copy_now(app)
    stored = message(app)
    assert report.failed == [RECORDING_SID] and report.deleted == []
    assert (stored.copy_status, stored.copy_attempts, stored.recording_path) == ("pending", 1, None)
    assert "object store" in (stored.copy_error or "") and stored.copy_next_at > LINE_OPEN_AT
    assert fake_api.deleted_recordings == []
    assert copies_waiting(app) == {"pending": 1.0, "failed": 0.0}

    object_store.restore()
    assert copy_now(app).copied == []  # not due yet: the next try waits for its backoff
    with app.extensions["contact_center"].sessions.begin() as session:
        session.execute(update(CallbackMessage).values(copy_next_at=LINE_OPEN_AT))
    report = copy_now(app)
    assert report.copied == [RECORDING_SID] and fake_api.deleted_recordings == [RECORDING_SID]
    assert object_store.keys(bucket) == [f"line-800840840/{KEY}"]
    assert copies_waiting(app) == {"pending": 0.0, "failed": 0.0}


def copies_waiting(app: Flask) -> dict[str, float]:
    """What /metrics says of the recordings not yet in the store."""
    text = app.test_client().get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).get_data(True)
    return {sample.labels["status"]: sample.value for family in text_string_to_metric_families(text)
            for sample in family.samples if sample.name == "contact_center_recording_copies"}


@pytest.fixture
def operator(app: Flask) -> FlaskClient:
    create_account(app, "Olga Operatrice", Role.OPERATOR)
    client = app.test_client()
    assert sign_in(client, "Olga Operatrice").status_code == 302
    return client


def recording_url(app: Flask) -> str:
    return f"/console/callbacks/{message(app).entry_id}/recordings/{CALL_SID}"


def test_the_console_streams_the_copy_from_the_bucket_and_seeks_with_ranges(
        app: Flask, fake_api: FakeTwilioApi, operator: FlaskClient) -> None:
    left_message(app, fake_api)
    copy_now(app)
    fake_api.fail_next(10)  # Twilio's copy is gone and Twilio is down: only the store can answer
    audio = silent_wav(SECONDS)
    whole = operator.get(recording_url(app))
    assert (whole.status_code, whole.mimetype, whole.headers["Accept-Ranges"]) == (200, "audio/wav", "bytes")
    assert whole.data == audio and int(whole.headers["Content-Length"]) == len(audio)
    middle = operator.get(recording_url(app), headers={"Range": "bytes=1000-1999"})
    assert middle.status_code == 206 and middle.data == audio[1000:2000]
    assert middle.headers["Content-Range"] == f"bytes 1000-1999/{len(audio)}"
    tail = operator.get(recording_url(app), headers={"Range": "bytes=-100"})
    assert tail.status_code == 206 and tail.data == audio[-100:]
    beyond = operator.get(recording_url(app), headers={"Range": f"bytes={len(audio) + 10}-"})
    assert beyond.status_code == 416 and beyond.headers["Content-Range"] == f"bytes */{len(audio)}"


def test_while_the_store_is_down_the_console_plays_twilios_copy(
        database_url: str, tmp_path: Path, fake_api: FakeTwilioApi, object_store: ObjectStore, bucket: str) -> None:
    app = make_app(make_settings(database_url, tmp_path / "instance", twilio={"api_base_url": fake_api.base_url},
                                 voicemail={"recordings_store": f"s3://{bucket}"}))
    left_message(app, fake_api)
    copy_now(app)
    object_store.cut()
    create_account(app, "Olga Operatrice", Role.OPERATOR)
    client = app.test_client()
    sign_in(client, "Olga Operatrice")
    played = client.get(recording_url(app))
    assert played.status_code == 200 and played.data == silent_wav(SECONDS)
    assert fake_api.requests[-1].path.endswith(f"{RECORDING_SID}.wav")
    app.extensions["contact_center"].engine.dispose()


def test_purge_deletes_the_objects_of_old_closed_entries(
        app: Flask, fake_api: FakeTwilioApi, object_store: ObjectStore, bucket: str) -> None:
    left_message(app, fake_api)
    copy_now(app)
    sessions = app.extensions["contact_center"].sessions
    with sessions.begin() as session:
        entry_id = message(app).entry_id
        record_outcome(session, entry_id, "reached", CallbackPolicy(), operator="olga", now=LINE_OPEN_AT)
        session.execute(update(CallbackRequest).values(created_at=LINE_OPEN_AT - timedelta(days=120)))
    settings = app.extensions["contact_center"].settings
    object_store.cut()
    kept = purge(sessions, timedelta(days=90), recording_store(settings), rest_client(settings), now=LINE_OPEN_AT)
    assert (kept.entries, kept.kept_for_twilio) == (0, [entry_id])
    assert object_store.keys(bucket) == [f"line-800840840/{KEY}"]
    object_store.restore()
    report = purge(sessions, timedelta(days=90), recording_store(settings), rest_client(settings), now=LINE_OPEN_AT)
    assert (report.entries, report.files) == (1, 1)
    assert object_store.keys(bucket) == [] and message(app).recording_path is None


def test_recordings_store_comes_from_the_environment_and_is_checked(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("voicemail:\n  recordings_dir: /srv/recordings\n", "utf-8")
    assert load_settings(config, environ={}).voicemail.recordings_store == "/srv/recordings"
    settings = load_settings(config, environ={"RECORDINGS_STORE": "s3://cc-bucket/line/800"})
    store: Any = recording_store(settings)
    assert isinstance(store, S3Store) and (store.bucket, store.prefix) == ("cc-bucket", "line/800")
    assert isinstance(recording_store(make_settings("sqlite://", tmp_path)), LocalFolderStore)
    for wrong, problem in [("s3://Not_A_Bucket/x", "bucket name"), ("ftp://host/x", "neither a folder")]:
        with pytest.raises(ConfigError, match=rf"voicemail\.recordings_store: .*{problem}"):
            load_settings(config, environ={"RECORDINGS_STORE": wrong})


def test_a_store_refuses_keys_outside_its_place(tmp_path: Path) -> None:
    store = LocalFolderStore(tmp_path)
    for key in ("../etc/passwd", "/etc/passwd", "2026//x.wav"):
        with pytest.raises(ValueError, match="not a recording key"):
            store.size(key)
