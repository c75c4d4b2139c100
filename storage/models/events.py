"""Emergency events named by supervisors, whose periods the dossier reports on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hours.clock import utcnow
from storage.models.base import Base


class EmergencyEvent(Base):
    """An emergency and its period: local whole days, stored as the UTC instants [starts_at, ends_at).

    Crisis extensions of the opening hours belong to an event by period overlap: an extension
    whose range meets [starts_at, ends_at) is part of it. No foreign key ties the two tables.
    """

    __tablename__ = "emergency_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    description: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
