"""Operators: the roster, their presence with its history, and callers waiting in the hold queue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hours.clock import utcnow
from storage.models.base import Base


class Agent(Base):
    """An operator: how to reach them, what they handle, and their presence now."""

    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    phone: Mapped[str | None] = mapped_column(String(32), unique=True)
    client_identity: Mapped[str | None] = mapped_column(String(120), unique=True)
    languages: Mapped[str] = mapped_column(String(64), default="it")
    state: Mapped[str] = mapped_column(String(16), default="offline")
    state_since: Mapped[datetime] = mapped_column(default=utcnow)
    available_since: Mapped[datetime | None]
    reservation: Mapped[str | None] = mapped_column(String(80), unique=True)
    reserved_call_sid: Mapped[str | None] = mapped_column(String(64))
    # The topic of the call last reserved for; read only while `reserved_call_sid` is set.
    reserved_topic: Mapped[str | None] = mapped_column(String(24))
    missed_in_a_row: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    topics: Mapped[list[AgentTopic]] = relationship(
        back_populates="agent", cascade="all, delete-orphan", order_by="AgentTopic.topic")

    __table_args__ = (Index("ix_agents_state_available_since", "state", "available_since"),)


class AgentTopic(Base):
    """One topic an operator handles (an operator with none handles every topic)."""

    __tablename__ = "agent_topics"

    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(24), primary_key=True)

    agent: Mapped[Agent] = relationship(back_populates="topics")


class AgentPresenceChange(Base):
    """One change of an operator's presence: when, from, to, why, and how long the old state lasted."""

    __tablename__ = "agent_presence_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(32))
    previous_state_seconds: Mapped[int] = mapped_column(default=0)
    call_sid: Mapped[str | None] = mapped_column(String(64))


class QueuedCall(Base):
    """A caller waiting in the hold queue for a free operator, and how the wait ended."""

    __tablename__ = "queued_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    topic: Mapped[str] = mapped_column(String(24))
    entered_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    left_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(16), index=True)
