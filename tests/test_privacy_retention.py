"""Retention per kind of personal data, on both databases: what is past its age loses it, the rows stay.

Each kind has an old record (past its retention) and a recent one; a dry run counts the old one and
changes nothing, the real run empties it and leaves the recent one (and open work) alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from access import audit
from contact_center.cli import cli
from hours.clock import utcnow
from privacy.retention import KINDS, RetentionPolicy, apply_retention
from storage import call_log
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import (
    AuditEntry,
    Base,
    Call,
    CallbackMessage,
    CallbackRequest,
    OutboxMail,
    Ticket,
    TicketReply,
    TicketStatusChange,
    WrittenSubmission,
)
from tickets.repository import change_status, create_ticket
from tickets.status import Channel, TicketStatus
from voicemail.callbacks import Recording, attach_recording, open_callback_request
from voicemail.queue import CallbackPolicy, record_outcome
from voicemail.store import LocalFolderStore

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
# Every kind kept 30 days but the recordings (60): a record of 45 days is past all but those.
POLICY = RetentionPolicy(recordings=60, callback_numbers=30, ticket_contacts=30, ticket_summaries=30,
                         call_log_numbers=30, audit_addresses=30, outbox_mails=30)
OLD, MIDDLE, RECENT = NOW - timedelta(days=90), NOW - timedelta(days=45), NOW - timedelta(days=5)


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield make_session_factory(engine)
    engine.dispose()


def entry(sessions: sessionmaker[Session], index: int, created_at: datetime, store: Path, closed: bool = True) -> int:
    """A callback entry with a copied recording, a transcript and a ticket; closed (reached) unless told."""
    call_sid, recording_sid = f"CA{index:032d}", f"RE{index:032d}"
    (store / f"{recording_sid}.wav").write_bytes(b"RIFF....")
    with sessions.begin() as session:
        message = open_callback_request(session, call_sid, f"+39347000{index:04d}", "caller_id", "closed", now=NOW)
        attach_recording(session, call_sid, Recording(recording_sid, "https://api.twilio.com/r", 8), now=NOW)
        message.copy_status, message.recording_path = "copied", f"{recording_sid}.wav"
        message.twilio_deleted_at, message.transcript, message.created_at = NOW, "Mi chiamo Mario", created_at
        row = session.get(CallbackRequest, message.entry_id)
        assert row is not None
        row.created_at = created_at
        entry_id = row.id
    if closed:
        with sessions.begin() as session:
            record_outcome(session, entry_id, "reached", CallbackPolicy(), operator="anna", note="ok", now=NOW)
    return entry_id


def ticket(sessions: sessionmaker[Session], closed_at: datetime | None, email: str) -> int:
    """A written ticket with its writer's name, an operator's note and a reply; closed at `closed_at`."""
    with sessions.begin() as session:
        row = create_ticket(session, now=closed_at or NOW, channel=Channel.WEB, summary="Crepe nel muro di casa",
                            phone="+393471111111", email=email)
        session.add(WrittenSubmission(ticket_id=row.id, citizen_name="Mario Rossi", created_at=row.created_at))
        session.add(TicketReply(ticket_id=row.id, sent_at=row.created_at, author="anna", body="Risposta a Mario"))
        if closed_at is not None:
            change_status(session, row, TicketStatus.CLOSED, now=closed_at, changed_by="anna", note="chiamato Mario")
        return row.id


def mail(sessions: sessionmaker[Session], created_at: datetime, status: str, index: int) -> int:
    with sessions.begin() as session:
        row = OutboxMail(kind="code", recipient=f"mario{index}@example.org", subject="Il tuo codice",
                         body_text="Caro Mario", body_html="<p>Caro Mario</p>", message_id=f"<{index}@example.org>",
                         status=status, created_at=created_at, next_attempt_at=created_at)
        session.add(row)
        session.flush()
        return row.id


def call(sessions: sessionmaker[Session], index: int, started_at: datetime) -> None:
    with sessions.begin() as session:
        call_log.record_call_start(session, f"CA{900 + index:032d}", f"+39333000{index:04d}", "+39800840840",
                                   now=started_at)


def audit_line(sessions: sessionmaker[Session], at: datetime) -> None:
    with sessions.begin() as session:
        audit.record(session, "anna", "sign_in", address="203.0.113.7", at=at)


def row_counts(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        return {table.name: session.scalar(select(func.count()).select_from(table)) or 0
                for table in Base.metadata.sorted_tables}


def run(sessions: sessionmaker[Session], store: Path, dry_run: bool) -> dict[str, int]:
    report = apply_retention(sessions, POLICY, LocalFolderStore(store), None, NOW, dry_run=dry_run)
    assert report.dry_run is dry_run and tuple(report.counts) == KINDS
    return report.counts


def test_recordings_go_past_their_own_age_and_open_entries_stay(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    old, middle = entry(sessions, 1, OLD, tmp_path), entry(sessions, 2, MIDDLE, tmp_path)
    still_open = entry(sessions, 3, OLD, tmp_path, closed=False)
    before = row_counts(sessions)
    assert run(sessions, tmp_path, dry_run=True)["recordings"] == 1
    assert len(list(tmp_path.glob("RE*.wav"))) == 3 and row_counts(sessions) == before

    report = apply_retention(sessions, POLICY, LocalFolderStore(tmp_path), None, NOW)
    assert (report.counts["recordings"], report.files, report.open_past_retention) == (1, 1, 1)
    assert sorted(path.name for path in tmp_path.glob("RE*.wav")) == [f"RE{2:032d}.wav", f"RE{3:032d}.wav"]
    with sessions() as session:
        gone = session.scalars(select(CallbackMessage).where(CallbackMessage.entry_id == old)).one()
        kept = session.scalars(select(CallbackMessage).where(CallbackMessage.entry_id == middle)).one()
        assert (gone.recording_path, gone.transcript, gone.recording_duration) == (None, None, 8)
        assert kept.recording_path is not None and kept.transcript == "Mi chiamo Mario"
        opened = session.get(CallbackRequest, still_open)
        assert opened is not None and opened.callback_number is not None
    assert row_counts(sessions) == before


def test_callback_numbers_go_before_the_recordings_when_kept_shorter(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    middle, recent = entry(sessions, 2, MIDDLE, tmp_path), entry(sessions, 4, RECENT, tmp_path)
    assert run(sessions, tmp_path, dry_run=True)["callback_numbers"] == 1
    assert run(sessions, tmp_path, dry_run=False)["callback_numbers"] == 1
    with sessions() as session:
        numbers = dict(session.execute(select(CallbackRequest.id, CallbackRequest.callback_number)).tuples().all())
        message = session.scalars(select(CallbackMessage).where(CallbackMessage.entry_id == middle)).one()
        assert numbers[middle] is None and numbers[recent] == "+393470000004"
        assert message.callback_number is None and message.recording_path is not None  # recordings: 60 days


def test_ticket_contacts_and_summaries_go_from_closed_tickets_only(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    old = ticket(sessions, MIDDLE, "old@example.org")
    recent = ticket(sessions, RECENT, "recent@example.org")
    still_open = ticket(sessions, None, "open@example.org")
    before = row_counts(sessions)
    dry = run(sessions, tmp_path, dry_run=True)
    assert (dry["ticket_contacts"], dry["ticket_summaries"]) == (1, 1) and row_counts(sessions) == before
    done = run(sessions, tmp_path, dry_run=False)
    assert (done["ticket_contacts"], done["ticket_summaries"]) == (1, 1)
    with sessions() as session:
        for ticket_id, emptied in ((old, True), (recent, False), (still_open, False)):
            row = session.get(Ticket, ticket_id)
            assert row is not None
            name = session.scalars(select(WrittenSubmission.citizen_name).where(
                WrittenSubmission.ticket_id == ticket_id)).one()
            reply = session.scalars(select(TicketReply.body).where(TicketReply.ticket_id == ticket_id)).one()
            notes = set(session.scalars(select(TicketStatusChange.note).where(
                TicketStatusChange.ticket_id == ticket_id)))
            held = (row.contact_phone, row.contact_email, name, row.summary, reply)
            if emptied:
                assert held == (None, None, None, "", "") and notes <= {""}
                assert (row.status, row.channel) == ("closed", "web")
            else:
                assert None not in held and "" not in held
    assert row_counts(sessions) == before
    assert run(sessions, tmp_path, dry_run=True)["ticket_contacts"] == 0


def test_call_log_numbers_go_past_their_age(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    call(sessions, 1, MIDDLE)
    call(sessions, 2, RECENT)
    assert run(sessions, tmp_path, dry_run=True)["call_log_numbers"] == 1
    assert run(sessions, tmp_path, dry_run=False)["call_log_numbers"] == 1
    with sessions() as session:
        numbers = sorted(session.execute(select(Call.started_at, Call.caller_number)).tuples().all())
    assert [number for _, number in numbers] == [None, "+393330000002"]


def test_audit_addresses_go_past_their_age(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    audit_line(sessions, MIDDLE)
    audit_line(sessions, RECENT)
    assert run(sessions, tmp_path, dry_run=True)["audit_addresses"] == 1
    assert run(sessions, tmp_path, dry_run=False)["audit_addresses"] == 1
    with sessions() as session:
        rows = sorted(session.execute(select(AuditEntry.at, AuditEntry.address, AuditEntry.actor)).tuples().all())
    assert [(address, actor) for _, address, actor in rows] == [("", "anna"), ("203.0.113.7", "anna")]


def test_outbox_mails_go_once_final_and_past_their_age(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    old_sent, old_pending = mail(sessions, MIDDLE, "sent", 1), mail(sessions, MIDDLE, "pending", 2)
    recent_failed = mail(sessions, RECENT, "failed", 3)
    assert run(sessions, tmp_path, dry_run=True)["outbox_mails"] == 1
    assert run(sessions, tmp_path, dry_run=False)["outbox_mails"] == 1
    with sessions() as session:
        mails = {row.id: row for row in session.scalars(select(OutboxMail))}
    assert (mails[old_sent].recipient, mails[old_sent].body_text, mails[old_sent].status) == ("", "", "sent")
    assert mails[old_pending].recipient == "mario2@example.org"
    assert mails[recent_failed].recipient == "mario3@example.org"


def test_the_purge_command_applies_every_kind_and_its_dry_run_changes_nothing(
        database_url: str, sessions: sessionmaker[Session], tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    (instance / "recordings").mkdir(parents=True)
    call(sessions, 1, utcnow() - timedelta(days=45))  # the command runs on the real clock
    audit_line(sessions, utcnow() - timedelta(days=45))
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({
        "database": {"url": database_url, "instance_dir": str(instance)},
        "privacy": {"retention_days": {"call_log_numbers": 30, "audit_addresses": 30}}}))
    runner = CliRunner()
    dry = runner.invoke(cli, ["--config", str(config), "voicemail", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "prova (nulla è cambiato):" in dry.output
    assert "  call_log_numbers: 1 (chiamate del registro senza più il numero del chiamante)" in dry.output
    assert "  audit_addresses: 1" in dry.output
    with sessions() as session:
        assert session.scalar(select(Call.caller_number)) == "+393330000001"
        assert session.scalar(select(AuditEntry.action).where(AuditEntry.action == "privacy_retention")) is None
    done = runner.invoke(cli, ["--config", str(config), "privacy", "purge"])
    assert done.exit_code == 0, done.output
    assert "conservazione applicata:" in done.output and "  call_log_numbers: 1" in done.output
    with sessions() as session:
        assert session.scalar(select(Call.caller_number)) is None
        assert session.scalar(select(AuditEntry.address).where(AuditEntry.action == "sign_in")) == ""
        [(actor, detail)] = session.execute(select(AuditEntry.actor, AuditEntry.detail).where(
            AuditEntry.action == "privacy_retention")).tuples().all()
    assert actor.startswith("cli") and "call_log_numbers 1" in detail and "audit_addresses 1" in detail
