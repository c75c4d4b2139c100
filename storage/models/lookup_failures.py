"""Failed tracking-code lookups, counted in sliding windows to stop anyone walking the code space."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hours.clock import utcnow
from storage.models.base import Base


class LookupFailure(Base):
    """One wrong or unknown code typed on the phone or the web, with a hash of who typed it."""

    __tablename__ = "lookup_failures"
    __table_args__ = (Index("ix_lookup_failures_caller_key_at", "caller_key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    caller_key: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(16))
