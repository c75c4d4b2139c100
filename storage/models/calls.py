"""The call log: one row per call Twilio sent us."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from hours.clock import utcnow
from storage.models.base import Base


class Call(Base):
    """An inbound call and how it ended."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    caller_number: Mapped[str | None] = mapped_column(String(32))
    caller_withheld: Mapped[bool] = mapped_column(default=False)
    line_number: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    ended_at: Mapped[datetime | None]
    final_status: Mapped[str | None] = mapped_column(String(16))
    duration_seconds: Mapped[int | None]
    outcome: Mapped[str | None] = mapped_column(String(24))
    language: Mapped[str] = mapped_column(String(8), default="it", server_default="it")
