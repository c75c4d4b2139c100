"""The callback list: entries to call back, the messages left on them, and each attempt."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hours.clock import utcnow
from storage.models.base import Base


class CallbackRequest(Base):
    """One entry of the callback list: a number to call back, with every message left from it."""

    __tablename__ = "callback_requests"
    __table_args__ = (
        Index("ix_callback_requests_work_order", "status", "priority", "created_at", "id"),
        Index("ix_callback_requests_claimed_at", "claimed_at", postgresql_where=text("status = 'claimed'"),
              sqlite_where=text("status = 'claimed'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    callback_number: Mapped[str | None] = mapped_column(String(32), index=True)
    reason: Mapped[str] = mapped_column(String(24))
    priority: Mapped[int] = mapped_column(default=9)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    message_count: Mapped[int] = mapped_column(default=1)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempt_count: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    purged_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # The latest "Chiama" call: one at a time per entry (a second click while it rings starts none).
    call_sid: Mapped[str | None] = mapped_column(String(64))
    call_by: Mapped[str | None] = mapped_column(String(120))
    call_state: Mapped[str | None] = mapped_column(String(24))
    call_started_at: Mapped[datetime | None]
    call_state_at: Mapped[datetime | None]

    messages: Mapped[list[CallbackMessage]] = relationship(
        back_populates="entry", order_by="CallbackMessage.id", cascade="all, delete-orphan")
    attempts: Mapped[list[CallbackAttempt]] = relationship(
        back_populates="entry", order_by="CallbackAttempt.id", cascade="all, delete-orphan")


class CallbackMessage(Base):
    """One call that left (or tried to leave) a message: its number, ticket and recording."""

    __tablename__ = "callback_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("callback_requests.id", ondelete="CASCADE"), index=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    callback_number: Mapped[str | None] = mapped_column(String(32))
    number_source: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(24))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    message_status: Mapped[str] = mapped_column(String(16), default="awaiting")
    recording_sid: Mapped[str | None] = mapped_column(String(64))
    recording_url: Mapped[str | None] = mapped_column(String(512))
    recording_duration: Mapped[int | None]
    copy_status: Mapped[str] = mapped_column(String(16), default="none", index=True)
    copy_attempts: Mapped[int] = mapped_column(default=0)
    copy_next_at: Mapped[datetime | None]
    copy_error: Mapped[str | None] = mapped_column(String(200))
    recording_path: Mapped[str | None] = mapped_column(String(300))
    twilio_deleted_at: Mapped[datetime | None]
    transcript: Mapped[str | None] = mapped_column(Text)
    code_sms_sid: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    purged_at: Mapped[datetime | None]

    entry: Mapped[CallbackRequest | None] = relationship(back_populates="messages")


class CallbackAttempt(Base):
    """One call back by an operator and how it went."""

    __tablename__ = "callback_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("callback_requests.id", ondelete="CASCADE"), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    operator: Mapped[str] = mapped_column(String(120))
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)

    entry: Mapped[CallbackRequest] = relationship(back_populates="attempts")
