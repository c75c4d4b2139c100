"""The privacy domain: numbers in every form, the journal forgetting a person, erasure from S3, all or nothing."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from privacy.erasure import ErasureIncomplete
from privacy.requests import Place, erase_for, export_for, find_for
from privacy.subjects import Subject, SubjectError, subject
from storage.db import make_engine, make_session_factory
from storage.journal import Journal, JournalEntry
from storage.migrate import upgrade
from storage.models import AuditEntry, CallbackMessage
from tests.object_store import ObjectStore
from voicemail.callbacks import Recording, attach_recording, open_callback_request
from voicemail.store import S3Store

pytest_plugins = ("tests.s3_support",)  # the s3_server and object_store fixtures

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
PHONE = "+393331234567"


@pytest.mark.parametrize("typed", ["333 1234567", "+39 333 1234567", "0039 333 1234567", "0039-333-123.4567",
                                   "(+39) 333/1234567", "3331234567"])
def test_a_number_is_matched_in_every_form_a_caller_may_have_used(typed: str) -> None:
    assert subject(phone=typed).phone == PHONE


def test_an_address_is_matched_whatever_its_case_and_spaces() -> None:
    assert subject(email="  Mario.Rossi@Example.ORG ").email == "mario.rossi@example.org"


@pytest.mark.parametrize(("phone", "email"), [("abc", None), ("12", None), (None, "mario"), (None, "a@b"),
                                              (None, None)])
def test_nothing_usable_is_refused(phone: str | None, email: str | None) -> None:
    with pytest.raises(SubjectError):
        subject(phone, email)


def test_the_forms_searched_in_free_text_and_the_audit_label_that_names_nobody() -> None:
    who = Subject(phone=PHONE, email="mario@example.org")
    assert {PHONE, "00393331234567", "3331234567", "333 123 4567", "+39 333 123 4567"} <= set(who.phone_forms)
    assert who.describe() == "telefono + e-mail"
    assert PHONE not in who.key("secret") and who.key("secret") != who.key("other secret")


def test_the_journal_forgets_the_lines_naming_a_person_wherever_they_wait(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    journal.append("record_call_start", {"call_sid": "CA1", "caller_number": PHONE}, NOW)
    journal.append("record_call_end", {"call_sid": "CA1", "status": "completed"}, NOW)
    (tmp_path / "replaying-000000000001.jsonl").write_text(
        '{"operation": "open", "arguments": {"callback_number": "+393331234567"}, "written_at": "2026-11-30"}\n')
    journal.reject(JournalEntry("open", {"callback_number": PHONE}, NOW.isoformat()), "never applicable")

    def names(line: str) -> bool:
        return PHONE in line

    assert journal.count_lines(names) == 3
    assert journal.forget(names) == 3
    assert journal.count_lines(names) == 0 and journal.backlog() == 1
    assert not (tmp_path / "replaying-000000000001.jsonl").exists()
    assert "CA1" in (tmp_path / "journal.jsonl").read_text()


@pytest.fixture
def sessions(database_url: str) -> Iterator[tuple[sessionmaker[Session], Engine]]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield make_session_factory(engine), engine
    engine.dispose()


def test_erasure_deletes_the_recordings_from_s3_and_refuses_to_half_erase_while_it_is_down(
        sessions: tuple[sessionmaker[Session], Engine], object_store: ObjectStore, tmp_path: Path) -> None:
    factory, engine = sessions
    bucket = object_store.new_bucket()
    store = S3Store(bucket, "line-800840840")
    store.put("2026/11/RE1.wav", b"RIFF-first", "audio/wav")
    store.put("2026/11/RE2.wav", b"RIFF-other-caller", "audio/wav")
    with factory.begin() as session:
        for index, (number, key) in enumerate(((PHONE, "2026/11/RE1.wav"), ("+393470000000", "2026/11/RE2.wav"))):
            message = open_callback_request(session, f"CA{index}", number, "caller_id", "closed", now=NOW)
            attach_recording(session, f"CA{index}", Recording(f"RE{index}", "https://api.twilio.com/r", 5), now=NOW)
            message.copy_status, message.recording_path, message.twilio_deleted_at = "copied", key, NOW
    place = Place(factory, engine, Journal(tmp_path / "journal"), store, None, "secret")
    who = subject(phone="333 1234567")
    assert find_for(place, who, actor="cli", now=NOW).recordings == ["2026/11/RE1.wav"]
    export_for(place, who, tmp_path / "out.zip", actor="cli", now=NOW)
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        assert archive.read("registrazioni/RE1.wav") == b"RIFF-first"

    object_store.cut()
    with pytest.raises(ErasureIncomplete):
        erase_for(place, who, actor="cli", now=NOW)
    object_store.restore()
    with factory() as session:
        assert PHONE in set(session.scalars(select(CallbackMessage.callback_number)))
        assert "privacy_erase" not in set(session.scalars(select(AuditEntry.action)))

    report = erase_for(place, who, actor="cli", now=NOW)
    assert report.files == 1 and report.rows["callback_messages"] == 1
    assert object_store.keys(bucket) == ["line-800840840/2026/11/RE2.wav"]
    with factory() as session:
        assert set(session.scalars(select(CallbackMessage.callback_number))) == {None, "+393470000000"}
