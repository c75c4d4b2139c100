"""Subject requests, each written to the audit log: find (art. 15), export (art. 15/20), erase (art. 17).

The audit line names the kind of identifier and a keyed hash of the subject, never the number or
the address: an erased person must leave no trace, the request itself included.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from access import audit
from privacy.erasure import ErasureReport, anonymise, compact, forget_journal, remove_recordings
from privacy.holdings import Holdings, find
from privacy.subjects import Subject
from storage.journal import Journal
from voicemail.recordings import RecordingSource
from voicemail.store import RecordingStore

EXPORT_DOCUMENT = "dati.json"
RECORDINGS_FOLDER = "registrazioni"


@dataclass(frozen=True)
class Place:
    """Where the subject's data lives: the database, the journal, the recordings (and Twilio's copies)."""

    sessions: sessionmaker[Session]
    engine: Engine
    journal: Journal
    store: RecordingStore
    source: RecordingSource | None
    secret: str


def _audit(session: Session, actor: str, action: str, subject: Subject, secret: str, detail: str,
           address: str, now: datetime) -> None:
    audit.record(session, actor, action, f"soggetto {subject.key(secret)} ({subject.describe()})", detail,
                 address, at=now)


def _summary(held: Holdings) -> str:
    return ", ".join(f"{kind} {count}" for kind, count in held.counts().items() if count) or "nessun dato"


def find_for(place: Place, subject: Subject, *, actor: str, now: datetime, address: str = "") -> Holdings:
    """What the service holds on the subject; the search is audited."""
    with place.sessions.begin() as session:
        held = find(session, subject, place.secret, place.journal)
        _audit(session, actor, "privacy_find", subject, place.secret, _summary(held), address, now)
    return held


def export_document(held: Holdings, now: datetime) -> dict[str, Any]:
    """The JSON document given to the citizen: every record, and the files of the recordings."""
    return {
        "generated_at": now.isoformat(),
        "subject": {"phone": held.subject.phone, "email": held.subject.email},
        "records": held.rows,
        "recordings": [f"{RECORDINGS_FOLDER}/{PurePosixPath(key).name}" for key in held.recordings],
        # Other people's records that mention the subject: only where, never their text.
        "mentions": [{"table": table, "column": column, "id": row_id} for table, column, row_id in held.mentions],
        "hashed_records": {"lookup_failures": held.lookup_failures, "mail_limiter_windows": held.mail_counters},
        "journal_lines_waiting": held.journal_lines,
    }


def _recording_bytes(store: RecordingStore, key: str) -> bytes | None:
    stored = store.read(key)
    return None if stored is None else b"".join(stored.chunks)


def write_export(held: Holdings, store: RecordingStore, out: Path | BinaryIO, now: datetime) -> list[str]:
    """Write the document and the recordings to `out`: a .zip archive (a path or a binary file), or a folder.

    Returns the names written.
    """
    files: dict[str, bytes] = {EXPORT_DOCUMENT: json.dumps(export_document(held, now), ensure_ascii=False,
                                                           indent=2).encode("utf-8")}
    for key in held.recordings:
        audio = _recording_bytes(store, key)
        if audio is not None:
            files[f"{RECORDINGS_FOLDER}/{PurePosixPath(key).name}"] = audio
    if not isinstance(out, Path) or out.suffix.lower() == ".zip":
        if isinstance(out, Path):
            out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in files.items():
                archive.writestr(name, data)
    else:
        for name, data in files.items():
            path = out / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    return sorted(files)


def export_for(place: Place, subject: Subject, out: Path | BinaryIO, *, actor: str, now: datetime,
               address: str = "") -> Holdings:
    """Find and write the subject's data to `out` (see write_export); audited."""
    with place.sessions.begin() as session:
        held = find(session, subject, place.secret, place.journal)
        write_export(held, place.store, out, now)
        _audit(session, actor, "privacy_export", subject, place.secret, _summary(held), address, now)
    return held


def erase_for(place: Place, subject: Subject, *, actor: str, now: datetime, address: str = "") -> ErasureReport:
    """Remove or anonymise the subject's data everywhere; audited with anonymous counts.

    The recordings go first: if the store or Twilio refuses, ErasureIncomplete and no row changes,
    so the request can simply be run again.
    """
    report = ErasureReport()
    with place.sessions.begin() as session:
        held = find(session, subject, place.secret, place.journal)
        report.files, report.twilio_deleted = remove_recordings(held, place.store, place.source)
        report.rows = anonymise(session, held, place.secret, now)
        report.journal_lines = forget_journal(place.journal, subject)
        detail = ", ".join(f"{table} {count}" for table, count in report.rows.items())
        _audit(session, actor, "privacy_erase", subject, place.secret,
               f"{detail or 'nessuna riga'}; file {report.files}; Twilio {report.twilio_deleted}; "
               f"giornale {report.journal_lines}", address, now)
    compact(place.engine)
    return report
