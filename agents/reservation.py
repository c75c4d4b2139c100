"""Reserving an operator for a call: the longest-idle free operator, atomically.

One guarded statement claims the operator: `UPDATE agents SET state='ringing' ... WHERE id =
(SELECT the longest-idle free operator) AND state='available' RETURNING ...`. On PostgreSQL the
inner SELECT takes the row with `FOR UPDATE SKIP LOCKED`, so concurrent callers each lock a
different operator instead of queueing on the same row. SQLite runs one writer at a time over the
whole database (the statement holds its write lock from start to end), and the guard
`state='available'` makes a claim on a row another process has just taken change nothing.

A reservation runs on every routing decision, in a burst by dozens at once, so it makes few
round trips: one SELECT finds both the reservation a retried webhook already holds and the
operators to heal; on PostgreSQL the claim and its history row are one statement (a
data-modifying CTE), on SQLite the history row follows the claim.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Integer,
    Select,
    Table,
    Update,
    and_,
    bindparam,
    case,
    exists,
    extract,
    func,
    insert,
    literal,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from agents.presence import Presence, PresencePolicy
from agents.transitions import AGENTS, CHANGES, OVERDUE, heal, overdue_cutoffs, record_change
from storage.models.agents import AgentTopic
from storage.types import UTCDateTime

ANY_TOPIC = "other"
TOPICS = cast(Table, AgentTopic.__table__)


@dataclass(frozen=True)
class Reservation:
    """An operator reserved (ringing) for one attempt of one call."""

    token: str
    agent_id: int
    name: str
    phone: str | None
    client_identity: str | None


def reservation_token(call_sid: str, attempt: int) -> str:
    """The reservation's key: one per call and attempt, so a repeated webhook reserves nobody new."""
    if not call_sid:
        return uuid.uuid4().hex
    return f"{call_sid}:{attempt}"


_HOLDS_TOKEN = and_(AGENTS.c.reservation == bindparam("token"),
                    AGENTS.c.state.in_([Presence.RINGING.value, Presence.ON_CALL.value]))
_FIND_RESERVATION = select(AGENTS.c.id, AGENTS.c.name, AGENTS.c.phone, AGENTS.c.client_identity).where(_HOLDS_TOKEN)
# The operator already holding this reservation (a retried webhook) and those to heal, in one SELECT.
_HELD_OR_OVERDUE = (select(AGENTS.c.id, AGENTS.c.name, AGENTS.c.phone, AGENTS.c.client_identity, AGENTS.c.state,
                           AGENTS.c.state_since, AGENTS.c.available_since, AGENTS.c.reservation,
                           AGENTS.c.reserved_call_sid, AGENTS.c.missed_in_a_row, _HOLDS_TOKEN.label("held"))
                    .where(or_(_HOLDS_TOKEN, OVERDUE)).order_by(AGENTS.c.id))  # one lock order for healers


def find_reservation(session: Session, token: str) -> Reservation | None:
    """The operator still ringing or on the call for `token`, if any."""
    row = session.execute(_FIND_RESERVATION, {"token": token}).first()
    return None if row is None else Reservation(token, row.id, row.name, row.phone, row.client_identity)


def reserve(session: Session, token: str, call_sid: str, topic: str, policy: PresencePolicy, now: datetime,
            exclude: Collection[int] = (), language: str | None = None,
            any_language: bool = True) -> Reservation | None:
    """Reserve the longest-idle free operator for `topic` (else any free one), or None if nobody is free.

    With `language` ("en"), the operators who speak it come first, whatever their topic; then,
    when `any_language`, anyone free.
    """
    seen = session.execute(_HELD_OR_OVERDUE, {"token": token, **overdue_cutoffs(policy, now)}).all()
    held = next((row for row in seen if row.held), None)
    if held is not None:
        return Reservation(token, held.id, held.name, held.phone, held.client_identity)
    for overdue in seen:
        heal(session, overdue, policy, now)
    parameters = {"token": token, "call_sid": call_sid, "now": now, "exclude": list(exclude), "topic": topic,
                  "language": f"% {language} %"}
    if language is None:
        passes: tuple[bool, ...] = (False,)
    else:
        passes = (True, False) if any_language else (True,)
    for by_language in passes:
        reservation = _claim(session, token, call_sid, topic != ANY_TOPIC, by_language, parameters, now)
        if reservation is not None:
            return reservation
    return None


def _claim(session: Session, token: str, call_sid: str, by_topic: bool, by_language: bool,
           parameters: dict[str, Any], now: datetime) -> Reservation | None:
    """One claim: the longest-idle free operator (for the topic first; only speakers of the language)."""
    if session.get_bind().dialect.name == "postgresql":
        row = session.execute(_claim_and_record_statement(by_topic, by_language), parameters).first()
        return None if row is None else Reservation(token, row.id, row.name, row.phone, row.client_identity)
    row = session.execute(_claim_statement(False, by_topic, by_language), parameters).first()
    if row is None:
        return None
    idle = (now - row.available_since).total_seconds() if row.available_since else 0.0
    record_change(session, row.id, Presence.AVAILABLE, Presence.RINGING, "reserved", now, idle, call_sid)
    return Reservation(token, row.id, row.name, row.phone, row.client_identity)


def _handles_topic(candidate: FromClause) -> ColumnElement[bool]:
    """The operator handles the bound topic: they list it, or they list no topic at all."""
    listed = exists().where(TOPICS.c.agent_id == candidate.c.id)
    return or_(exists().where(TOPICS.c.agent_id == candidate.c.id, TOPICS.c.topic == bindparam("topic")),
               not_(listed))


def _speaks(candidate: FromClause) -> ColumnElement[bool]:
    """The operator speaks the bound language (`languages` is a space-separated list: "it en")."""
    return (literal(" ") + candidate.c.languages + literal(" ")).like(bindparam("language"))


@cache
def _claim_statement(row_locks: bool, by_topic: bool, by_language: bool = False) -> Update:
    """The atomic claim of the longest-idle free operator, those for the topic first (built once, plain Core)."""
    candidate = AGENTS.alias("candidate")
    order: list[ColumnElement[Any]] = [candidate.c.available_since, candidate.c.id]
    if by_topic:
        order.insert(0, case((_handles_topic(candidate), 0), else_=1))
    conditions = [candidate.c.state == Presence.AVAILABLE.value,
                  candidate.c.id.not_in(bindparam("exclude", expanding=True))]
    if by_language:
        conditions.append(_speaks(candidate))
    chosen = select(candidate.c.id).where(*conditions).order_by(*order).limit(1)
    if row_locks:
        chosen = chosen.with_for_update(skip_locked=True, of=candidate)
    return (update(AGENTS)
            .where(AGENTS.c.id == chosen.scalar_subquery(), AGENTS.c.state == Presence.AVAILABLE.value)
            .values(state=Presence.RINGING.value, state_since=bindparam("now", type_=UTCDateTime()),
                    reservation=bindparam("token"), reserved_call_sid=bindparam("call_sid"),
                    reserved_topic=bindparam("topic"))
            .returning(AGENTS.c.id, AGENTS.c.name, AGENTS.c.phone, AGENTS.c.client_identity,
                       AGENTS.c.available_since))


@cache
def _claim_and_record_statement(by_topic: bool, by_language: bool = False) -> Select[Any]:
    """PostgreSQL: the claim and its history row in one statement (a data-modifying CTE)."""
    claimed = _claim_statement(True, by_topic, by_language).cte("claimed")
    now = bindparam("now", type_=UTCDateTime())
    idle_seconds = func.coalesce(func.floor(extract("epoch", now - claimed.c.available_since)), 0)
    history = (insert(CHANGES)
               .from_select(["agent_id", "changed_at", "from_state", "to_state", "reason", "previous_state_seconds",
                             "call_sid"],
                            select(claimed.c.id, now, literal(Presence.AVAILABLE.value),
                                   literal(Presence.RINGING.value), literal("reserved"),
                                   func.greatest(idle_seconds, 0).cast(Integer), bindparam("call_sid")))
               .cte("recorded"))
    return select(claimed.c.id, claimed.c.name, claimed.c.phone, claimed.c.client_identity).add_cte(history)
