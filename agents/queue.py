"""The hold queue: callers waiting for a free operator, their position and an estimated wait."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from agents.presence import STAFFED_STATES, Presence
from storage.models.agents import Agent, AgentPresenceChange, QueuedCall
from storage.upsert import insert_or_get

OUTCOMES = ("connected", "message", "timeout", "hangup", "bridged", "failed")
DEFAULT_HANDLE_SECONDS = 180
HANDLE_SAMPLE = 50


def join_queue(session: Session, call_sid: str, topic: str, now: datetime) -> QueuedCall:
    """The caller's place in the queue, kept if they were already there."""
    return insert_or_get(session, QueuedCall, "call_sid", {"call_sid": call_sid, "topic": topic, "entered_at": now})


def queued_call(session: Session, call_sid: str) -> QueuedCall | None:
    """The caller's queue entry, if they joined the queue."""
    return session.scalars(select(QueuedCall).where(QueuedCall.call_sid == call_sid)
                           .execution_options(populate_existing=True)).first()


def position(session: Session, entry: QueuedCall, now: datetime, forget_after: timedelta) -> int:
    """1 for the longest-waiting caller; entries older than `forget_after` count as gone."""
    ahead = session.scalar(select(func.count()).select_from(QueuedCall).where(
        QueuedCall.outcome.is_(None),
        QueuedCall.entered_at > now - forget_after,
        or_(QueuedCall.entered_at < entry.entered_at,
            and_(QueuedCall.entered_at == entry.entered_at, QueuedCall.id < entry.id)),
    ))
    return int(ahead or 0) + 1


def waiting_callers(session: Session, now: datetime, forget_after: timedelta) -> int:
    """How many callers are waiting in line now (entries older than `forget_after` count as gone)."""
    return int(session.scalar(select(func.count()).select_from(QueuedCall).where(
        QueuedCall.outcome.is_(None), QueuedCall.entered_at > now - forget_after)) or 0)


def leave_queue(session: Session, call_sid: str, outcome: str, now: datetime) -> str | None:
    """End the caller's wait with `outcome` unless it already ended; the outcome that stands."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown queue outcome {outcome!r}")
    session.execute(update(QueuedCall)
                    .where(QueuedCall.call_sid == call_sid, QueuedCall.outcome.is_(None))
                    .values(outcome=outcome, left_at=now)
                    .execution_options(synchronize_session=False))
    entry = queued_call(session, call_sid)
    return entry.outcome if entry is not None else None


def free_operators(session: Session) -> int:
    """How many operators are available now."""
    return int(session.scalar(select(func.count()).select_from(Agent)
                              .where(Agent.state == Presence.AVAILABLE.value)) or 0)


def staffed_operators(session: Session) -> int:
    """How many operators are working: available, ringing, on a call or in wrap-up."""
    return int(session.scalar(select(func.count()).select_from(Agent)
                              .where(Agent.state.in_([state.value for state in STAFFED_STATES]))) or 0)


def mean_handle_seconds(session: Session) -> int:
    """The mean length of the latest answered calls, or a default before any was taken."""
    latest = (select(AgentPresenceChange.previous_state_seconds)
              .where(AgentPresenceChange.from_state == Presence.ON_CALL.value,
                     AgentPresenceChange.to_state == Presence.WRAP_UP.value)
              .order_by(AgentPresenceChange.id.desc()).limit(HANDLE_SAMPLE).subquery())
    mean = session.scalar(select(func.avg(latest.c.previous_state_seconds)))
    return round(float(mean)) if mean is not None else DEFAULT_HANDLE_SECONDS


def estimate_wait_seconds(place: int, staffed: int, handle_seconds: int, wrap_up_seconds: int) -> int:
    """Expected wait at `place` in line: one call cycle per `staffed` operators for each caller ahead or now."""
    cycle = handle_seconds + wrap_up_seconds
    return math.ceil(place * cycle / max(staffed, 1))
