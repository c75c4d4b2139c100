"""Per-address counters: how many times a key did something in a fixed window, counted atomically."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class AddressCounter(Base):
    """The count of one key (a keyed hash of an address or a recipient) in one window of time."""

    __tablename__ = "address_counters"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    window_index: Mapped[int] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime] = mapped_column(index=True)
