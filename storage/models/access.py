"""API tokens: integrators authenticate with a bearer token of which only a hash is stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from hours.clock import utcnow
from storage.models.base import Base


class ApiToken(Base):
    """A named bearer token for the JSON API; the token itself is shown once and never stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Space-separated scopes (access.tokens.SCOPES): what the token may do.
    scopes: Mapped[str] = mapped_column(String(200), default="tickets:read", server_default="tickets:read")
