"""The callback list: messages left by callers who want to be called back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import utcnow


class CallbackRequest(Base):
    """One entry of the callback list, created as soon as the caller's number is known."""

    __tablename__ = "callback_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    callback_number: Mapped[str | None] = mapped_column(String(32), index=True)
    number_source: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    message_status: Mapped[str] = mapped_column(String(16), default="awaiting")
    recording_sid: Mapped[str | None] = mapped_column(String(64))
    recording_url: Mapped[str | None] = mapped_column(String(512))
    recording_duration: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
