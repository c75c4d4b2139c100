"""The "Chiama" call of a callback entry: one at a time, and its state for the console to show.

A click on "Chiama" first takes the entry's call slot with one conditional UPDATE: a second
click (a double click, another tab) while the first call still rings finds the slot taken and
rings nobody. The slot frees itself when the call reaches a final state, or when it was left
ringing longer than the ring window (a status callback that never came). The steps of the call
(the operator's phone answered, the citizen's leg ended) move the state on, matched by the
call's SID so that an older call cannot overwrite a newer one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import ColumnElement, and_, or_, update
from sqlalchemy.orm import Session

from storage.models import CallbackRequest

STARTING: Final = "starting"  # the console is asking Twilio to ring the operator
RINGING_OPERATOR: Final = "ringing_operator"  # Twilio took the call: the operator's phone rings
IN_CALL: Final = "in_call"  # the operator answered: the citizen is dialled, then they talk
RINGING_STATES: Final = (STARTING, RINGING_OPERATOR)
FINAL_STATES: Final = frozenset({
    "not_started", "operator_no_answer", "operator_busy", "operator_failed",
    "citizen_answered", "citizen_no_answer", "citizen_busy", "citizen_failed", "ended",
})
# An answered call holds the slot at most this long if its end is never reported.
MAX_CONVERSATION: Final = timedelta(hours=2)
OPERATOR_LEG_ENDS: Final = {"no-answer": "operator_no_answer", "busy": "operator_busy", "failed": "operator_failed",
                            "canceled": "operator_failed"}
CITIZEN_LEG_ENDS: Final = {"completed": "citizen_answered", "answered": "citizen_answered",
                           "no-answer": "citizen_no_answer", "busy": "citizen_busy", "failed": "citizen_failed",
                           "canceled": "citizen_failed"}


def _slot_free(now: datetime, ring_window: timedelta) -> ColumnElement[bool]:
    state, since = CallbackRequest.call_state, CallbackRequest.call_state_at
    return or_(state.is_(None), state.in_(FINAL_STATES),
               and_(state.in_(RINGING_STATES), since < now - ring_window),
               and_(state == IN_CALL, since < now - MAX_CONVERSATION))


def begin_call(session: Session, entry_id: int, operator: str, now: datetime, ring_window: timedelta) -> bool:
    """Take the entry's call slot for `operator`; False when a call of it is still ringing or going on."""
    taken = session.execute(
        update(CallbackRequest)
        .where(CallbackRequest.id == entry_id, _slot_free(now, ring_window))
        .values(call_state=STARTING, call_state_at=now, call_started_at=now, call_by=operator[:120], call_sid=None)
        .execution_options(synchronize_session=False))
    return bool(getattr(taken, "rowcount", 0))


def call_started(session: Session, entry_id: int, call_sid: str, now: datetime) -> None:
    """Twilio took the call: the operator's phone rings."""
    session.execute(update(CallbackRequest)
                    .where(CallbackRequest.id == entry_id, CallbackRequest.call_state == STARTING)
                    .values(call_sid=call_sid[:64], call_state=RINGING_OPERATOR, call_state_at=now)
                    .execution_options(synchronize_session=False))


def call_not_started(session: Session, entry_id: int, now: datetime) -> None:
    """Twilio refused or could not be reached: the slot is free again."""
    session.execute(update(CallbackRequest)
                    .where(CallbackRequest.id == entry_id, CallbackRequest.call_state == STARTING)
                    .values(call_state="not_started", call_state_at=now)
                    .execution_options(synchronize_session=False))


def _move(session: Session, entry_id: int, call_sid: str, state: str, now: datetime, *from_states: str) -> bool:
    conditions = [CallbackRequest.id == entry_id, CallbackRequest.call_sid == call_sid[:64]]
    if from_states:
        conditions.append(CallbackRequest.call_state.in_(from_states))
    moved = session.execute(update(CallbackRequest).where(*conditions)
                            .values(call_state=state, call_state_at=now)
                            .execution_options(synchronize_session=False))
    return bool(getattr(moved, "rowcount", 0))


def operator_answered(session: Session, entry_id: int, call_sid: str, now: datetime) -> bool:
    """The operator answered their phone: the citizen is being dialled."""
    return _move(session, entry_id, call_sid, IN_CALL, now, *RINGING_STATES)


def citizen_leg_ended(session: Session, entry_id: int, call_sid: str, dial_status: str, now: datetime) -> bool:
    """The citizen's leg ended with Twilio's DialCallStatus."""
    return _move(session, entry_id, call_sid, CITIZEN_LEG_ENDS.get(dial_status, "ended"), now, IN_CALL)


def operator_leg_ended(session: Session, entry_id: int, call_sid: str, call_status: str, now: datetime) -> bool:
    """The operator's call ended (Twilio's status callback): unanswered, or over."""
    if call_status in OPERATOR_LEG_ENDS:
        return _move(session, entry_id, call_sid, OPERATOR_LEG_ENDS[call_status], now, *RINGING_STATES, IN_CALL)
    return _move(session, entry_id, call_sid, "ended", now, *RINGING_STATES, IN_CALL)


def call_in_progress(state: str | None, since: datetime | None, now: datetime, ring_window: timedelta) -> bool:
    """Whether a call in `state` since `since` still holds the entry's slot (what `begin_call` would refuse)."""
    if state is None or state in FINAL_STATES or since is None:
        return False
    return since >= now - (ring_window if state in RINGING_STATES else MAX_CONVERSATION)
