"""The written channel: form submissions (one ticket per form, however often it is sent) and replies."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class WrittenSubmission(Base):
    """A written request as it was sent: the form's one-time token, the ticket it made, the writer's name."""

    __tablename__ = "written_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str | None] = mapped_column(String(64), unique=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    citizen_name: Mapped[str | None] = mapped_column(String(120))
    code_mailed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(index=True)


class TicketReply(Base):
    """An answer an operator sent to the citizen by e-mail: who, when, what, and its mail."""

    __tablename__ = "ticket_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    sent_at: Mapped[datetime]
    author: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    closed_ticket: Mapped[bool] = mapped_column(default=False)
    mail_id: Mapped[int | None] = mapped_column(ForeignKey("mail_outbox.id", ondelete="SET NULL"))
