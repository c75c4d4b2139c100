"""Opening hours set at run time: crisis extensions, closures, and the schedule's version counter."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hours.clock import utcnow
from storage.models.base import Base


class HoursExtension(Base):
    """Extra hours: open on `bands` ("HH:MM-HH:MM,..."; NULL = all day) each local day of [starts_at, ends_at)."""

    __tablename__ = "hours_extensions"
    __table_args__ = (CheckConstraint("starts_at < ends_at", name="range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime] = mapped_column(index=True)
    bands: Mapped[str | None] = mapped_column(String(200))
    announcement: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(String(120))


class HoursClosure(Base):
    """The line is closed within [starts_at, ends_at), whatever else applies."""

    __tablename__ = "hours_closures"
    __table_args__ = (CheckConstraint("starts_at < ends_at", name="range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime] = mapped_column(index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(String(120))


class HoursScheduleVersion(Base):
    """One row, bumped in the same transaction as every change: workers reload when it moves."""

    __tablename__ = "hours_schedule_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=0)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
