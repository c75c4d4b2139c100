"""An operator's own presence and the call ringing them or in progress: what their console shows.

One SELECT by the operator's (unique) name, joined to the call log by the reserved call's sid:
the caller's number and language come from the call log, the topic from the reservation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from agents.presence import Presence, PresencePolicy
from storage.models.agents import Agent
from storage.models.calls import Call

CALL_STATES = frozenset({Presence.RINGING, Presence.ON_CALL, Presence.WRAP_UP})
_OWN = (select(Agent.state, Agent.state_since, Agent.reserved_call_sid, Agent.reserved_topic,
               Call.caller_number, Call.caller_withheld, Call.language)
        .outerjoin(Call, Call.call_sid == Agent.reserved_call_sid))


@dataclass(frozen=True)
class CurrentCall:
    """The call reserved for the operator: who calls (None when unknown or withheld), about what, in what language."""

    call_sid: str
    caller_number: str | None
    withheld: bool
    topic: str
    language: str


@dataclass(frozen=True)
class OwnPresence:
    """The operator's presence now, since when, and their call while it rings, is on, or has just ended."""

    state: Presence
    since: datetime
    call: CurrentCall | None

    @property
    def key(self) -> str:
        """A short text that changes whenever the state or the call changes."""
        return f"{self.state.value}|{self.since.isoformat()}|{self.call.call_sid if self.call else ''}"


def own_presence(session: Session, name: str, policy: PresencePolicy, now: datetime) -> OwnPresence | None:
    """The presence of the operator named `name` (None when not on the roster) and their current call."""
    row = session.execute(_OWN.where(Agent.name == name)).first()
    if row is None:
        return None
    state = Presence(row.state)
    call = None
    deadline = policy.deadline(state, row.state_since)
    if state in CALL_STATES and row.reserved_call_sid and (deadline is None or now < deadline):
        call = CurrentCall(call_sid=row.reserved_call_sid,
                           caller_number=None if row.caller_withheld else row.caller_number,
                           withheld=bool(row.caller_withheld), topic=row.reserved_topic or "other",
                           language=row.language or "it")
    return OwnPresence(state, row.state_since, call)
