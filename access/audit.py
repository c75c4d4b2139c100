"""The audit log: every action done in the console or through its API."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import AuditEntry


def record(session: Session, actor: str, action: str, target: str = "", detail: str = "",
           address: str = "", *, at: datetime) -> AuditEntry:
    """Append one line to the audit log (in the caller's transaction)."""
    entry = AuditEntry(at=at, actor=actor[:120], action=action[:40], target=target[:200],
                       detail=detail[:2000], address=address[:64])
    session.add(entry)
    return entry


def recent(session: Session, limit: int = 100, actor: str | None = None) -> list[AuditEntry]:
    """The latest entries, newest first, optionally of one actor."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    return list(session.scalars(query))
