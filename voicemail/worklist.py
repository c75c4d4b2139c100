"""The callback list as the console pages through it: counts per view, filters and pages in work order.

The work order (due first, then the reason's priority, then the oldest) and the statuses are
the list's own (voicemail.listing, voicemail.status); this module reads them a page at a time,
with keyset pagination on the (status, priority, created_at, id) index so the first page costs
the same with ten entries or a hundred thousand. Refusals are BadFilter codes: the faces say
them in Italian through voicemail.vocabulary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

import phonenumbers
from sqlalchemy import ColumnElement, case, func, or_, select, tuple_
from sqlalchemy.orm import Session

from hours.clock import DayWindow
from storage.models import CallbackAttempt, CallbackMessage, CallbackRequest, Ticket
from storage.models.console import DUE_TIME
from tickets.codes import normalize_code
from voicemail.callbacks import REASONS
from voicemail.errors import BadFilter, CallbackProblem
from voicemail.listing import WORK_ORDER
from voicemail.status import CallbackStatus

# "due" and "waiting" split the pending entries: to call now, or after a retry delay.
VIEWS: Final = ("due", "waiting", *(status.value for status in CallbackStatus if status is not CallbackStatus.PENDING))
DEFAULT_VIEW: Final = "due"
MINE: Final = "mine"  # the entries the operator holds (claimed by them)
EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND: Final = timedelta(microseconds=1)
MAX_KEY: Final = 2**62
MIN_YEAR, MAX_YEAR = 2000, 2999


@dataclass(frozen=True)
class ListFilters:
    """What the operator asked to see."""

    view: str = DEFAULT_VIEW
    reason: str | None = None
    topic: str | None = None
    day: date | None = None
    query: str = ""  # as typed: a number or a ticket code; it searches every view
    number: str | None = None  # the query as an E.164 number
    code: str | None = None  # the query as a ticket code
    operator: str | None = None  # whose entries "mine" shows

    def query_args(self) -> dict[str, str]:
        """The filters as URL query arguments (empty ones left out)."""
        args = {"view": self.view, "reason": self.reason or "", "topic": self.topic or "",
                "day": self.day.isoformat() if self.day else "", "q": self.query}
        return {key: value for key, value in args.items() if value}


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: just after this entry in work order."""

    priority: int
    created_at: datetime
    id: int

    def encode(self) -> str:
        """The cursor as a URL argument."""
        return f"{self.priority}.{(self.created_at - EPOCH) // MICROSECOND}.{self.id}"

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """The cursor written by `encode`; BadFilter for anything else."""
        try:
            priority, micros, entry_id = (int(part) for part in text.split("."))
            created_at = EPOCH + micros * MICROSECOND
        except (ValueError, OverflowError):
            raise BadFilter(CallbackProblem.BAD_CURSOR) from None
        if not (0 <= priority <= MAX_KEY and 0 <= entry_id <= MAX_KEY):
            raise BadFilter(CallbackProblem.BAD_CURSOR)
        return cls(priority, created_at, entry_id)


@dataclass(frozen=True)
class Row:
    """One line of the list."""

    id: int
    callback_number: str | None
    reason: str
    status: CallbackStatus
    priority: int
    created_at: datetime
    next_attempt_at: datetime
    attempt_count: int
    claimed_by: str | None
    message_count: int
    ticket_code: str | None
    topic: str | None
    recorded_seconds: int  # of recordings that can still be fetched (a copy, or Twilio's file)
    copied_seconds: int = 0  # of those, already copied to the recordings store
    lost_recordings: int = 0  # recorded, but the copy gave up (the file is gone): they cannot be played


@dataclass(frozen=True)
class Page:
    """One page of the list and where the next one starts."""

    rows: tuple[Row, ...]
    next_cursor: Cursor | None


def _search(text: str, code_length: int | Sequence[int]) -> tuple[str | None, str | None]:
    """A search box's text as (E.164 number, ticket code of one of the accepted lengths); BadFilter when neither."""
    lengths = (code_length,) if isinstance(code_length, int) else tuple(code_length)
    code = normalize_code(text)
    if code.isdigit() and len(code) in lengths:
        return None, code
    try:
        number = phonenumbers.parse(text, "IT")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        raise BadFilter(CallbackProblem.BAD_SEARCH, code_length=lengths[0])
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None


def parse_filters(args: dict[str, str], topics: Sequence[str], *, operator: str | None = None,
                  code_length: int | Sequence[int] = 8) -> ListFilters:
    """Filters from query arguments; BadFilter for a value that is not allowed.

    The view "mine" lists the entries `operator` holds; `q` searches a number or a ticket code.
    """
    view = args.get("view") or DEFAULT_VIEW
    if view not in VIEWS and not (view == MINE and operator):
        raise BadFilter(CallbackProblem.UNKNOWN_VIEW, view=view)
    reason = args.get("reason") or None
    if reason is not None and reason not in REASONS:
        raise BadFilter(CallbackProblem.UNKNOWN_REASON, reason=reason)
    topic = args.get("topic") or None
    if topic is not None and topic not in topics:
        raise BadFilter(CallbackProblem.UNKNOWN_TOPIC, topic=topic)
    day = None
    if args.get("day"):
        try:
            day = date.fromisoformat(args["day"])
        except ValueError:
            raise BadFilter(CallbackProblem.BAD_DATE) from None
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            raise BadFilter(CallbackProblem.DATE_OUT_OF_RANGE, first_year=MIN_YEAR, last_year=MAX_YEAR)
    query = " ".join(args.get("q", "").split())[:64]
    number, code = _search(query, code_length) if query else (None, None)
    return ListFilters(view, reason, topic, day, query, number, code, operator if view == MINE else None)


def _view_conditions(view: str, now: datetime) -> list[ColumnElement[bool]]:
    """The view's filter (pages of it walk the work-order index, already in order)."""
    pending = CallbackRequest.status == CallbackStatus.PENDING.value
    if view == "due":
        return [pending, CallbackRequest.next_attempt_at <= now]
    if view == "waiting":
        return [pending, CallbackRequest.next_attempt_at > now]
    return [CallbackRequest.status == CallbackStatus(view).value]


def _conditions(filters: ListFilters, now: datetime, zone: ZoneInfo) -> list[ColumnElement[bool]]:
    if filters.number or filters.code:  # a search looks in every view
        conditions: list[ColumnElement[bool]] = []
    elif filters.view == MINE:
        conditions = [CallbackRequest.status == CallbackStatus.CLAIMED.value,
                      CallbackRequest.claimed_by == (filters.operator or "")]
    else:
        conditions = _view_conditions(filters.view, now)
    if filters.number:
        conditions.append(CallbackRequest.callback_number == filters.number)
    if filters.code:
        conditions.append(or_(
            CallbackRequest.ticket_id.in_(select(Ticket.id).where(Ticket.code == filters.code)),
            CallbackRequest.id.in_(select(CallbackMessage.entry_id).join(Ticket, Ticket.id == CallbackMessage.ticket_id)
                                   .where(Ticket.code == filters.code))))
    if filters.reason:
        conditions.append(CallbackRequest.reason == filters.reason)
    if filters.topic:
        conditions.append(CallbackRequest.ticket_id.in_(select(Ticket.id).where(Ticket.topic == filters.topic)))
    if filters.day:
        window = DayWindow.of(filters.day, zone)
        conditions += [CallbackRequest.created_at >= window.start, CallbackRequest.created_at < window.end]
    return conditions


def counts(session: Session, now: datetime, operator: str | None = None) -> dict[str, int]:
    """How many entries each view holds (one pass over the status and due-time index); "mine" with `operator`."""
    due = func.count().filter(now >= DUE_TIME)
    rows = session.execute(select(CallbackRequest.status, func.count(), due).group_by(CallbackRequest.status)).all()
    by_status = {status: (total, due_now) for status, total, due_now in rows}
    result = {view: by_status.get(view, (0, 0))[0] for view in VIEWS}
    pending, due_now = by_status.get(CallbackStatus.PENDING.value, (0, 0))
    result["due"], result["waiting"] = due_now, pending - due_now
    if operator:
        result[MINE] = session.scalar(select(func.count()).select_from(CallbackRequest).where(
            CallbackRequest.status == CallbackStatus.CLAIMED.value, CallbackRequest.claimed_by == operator)) or 0
    return result


def due_count(session: Session, now: datetime) -> int:
    """How many entries wait to be called back now (on the status and due-time index, as `counts`)."""
    return session.scalar(select(func.count()).select_from(CallbackRequest).where(
        CallbackRequest.status == CallbackStatus.PENDING.value, now >= DUE_TIME)) or 0


def change_marks(session: Session) -> tuple[int, int, int]:
    """The newest entry, message and attempt ids (primary-key lookups): they grow with every message or call back.

    With `counts`, which moves with every claim, release and outcome, they tell a polling console
    whether anything it shows has changed, without reading the list itself.
    """
    row = session.execute(select(select(func.max(CallbackRequest.id)).scalar_subquery(),
                                 select(func.max(CallbackMessage.id)).scalar_subquery(),
                                 select(func.max(CallbackAttempt.id)).scalar_subquery())).one()
    return int(row[0] or 0), int(row[1] or 0), int(row[2] or 0)


def pending_count(session: Session) -> int:
    """How many entries nobody has claimed yet, due now or waiting for a retry."""
    return session.scalar(select(func.count()).select_from(CallbackRequest).where(
        CallbackRequest.status == CallbackStatus.PENDING.value)) or 0


def page(session: Session, filters: ListFilters, now: datetime, zone: ZoneInfo, size: int,
         after: Cursor | None = None) -> Page:
    """One page of entries in work order, starting after `after`."""
    conditions = _conditions(filters, now, zone)
    if after is not None:
        key: tuple[Any, ...] = (after.priority, after.created_at, after.id)  # bound as plain values
        conditions.append(tuple_(*WORK_ORDER) > tuple_(*key))
    entries = session.execute(
        select(CallbackRequest, Ticket.code, Ticket.topic)
        .outerjoin(Ticket, Ticket.id == CallbackRequest.ticket_id)
        .where(*conditions).order_by(*WORK_ORDER).limit(size + 1)).all()
    recorded = _recorded_seconds(session, [entry.id for entry, _, _ in entries[:size]])
    rows = tuple(_row(entry, code, topic, recorded.get(entry.id, (0, 0, 0))) for entry, code, topic in entries[:size])
    more = len(entries) > size
    last = rows[-1] if rows else None
    return Page(rows, Cursor(last.priority, last.created_at, last.id) if more and last else None)


def _recorded_seconds(session: Session, entry_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """Per entry: seconds still playable, of which copied, and how many recordings are lost."""
    if not entry_ids:
        return {}
    seconds = func.coalesce(CallbackMessage.recording_duration, 0)
    lost = CallbackMessage.copy_status == "failed"
    totals = session.execute(
        select(CallbackMessage.entry_id,
               func.coalesce(func.sum(case((lost, 0), else_=seconds)), 0),
               func.coalesce(func.sum(case((CallbackMessage.copy_status == "copied", seconds), else_=0)), 0),
               func.coalesce(func.sum(case((lost, 1), else_=0)), 0))
        .where(CallbackMessage.entry_id.in_(entry_ids), CallbackMessage.message_status == "recorded")
        .group_by(CallbackMessage.entry_id)).tuples().all()
    return {entry_id: (int(playable or 0), int(copied or 0), int(gone or 0))
            for entry_id, playable, copied, gone in totals if entry_id is not None}


def _row(entry: CallbackRequest, code: str | None, topic: str | None,
         recorded: tuple[int, int, int] = (0, 0, 0)) -> Row:
    return Row(id=entry.id, callback_number=entry.callback_number, reason=entry.reason,
               status=CallbackStatus(entry.status),
               priority=entry.priority, created_at=entry.created_at, next_attempt_at=entry.next_attempt_at,
               attempt_count=entry.attempt_count, claimed_by=entry.claimed_by, message_count=entry.message_count,
               ticket_code=code, topic=topic, recorded_seconds=recorded[0], copied_seconds=recorded[1],
               lost_recordings=recorded[2])


def row_as_dict(row: Row, zone: ZoneInfo) -> dict[str, Any]:
    """A row as JSON, times in `zone`."""
    return {"id": row.id, "callback_number": row.callback_number, "reason": row.reason, "status": row.status.value,
            "created_at": row.created_at.astimezone(zone).isoformat(timespec="seconds"),
            "next_attempt_at": row.next_attempt_at.astimezone(zone).isoformat(timespec="seconds"),
            "attempt_count": row.attempt_count, "claimed_by": row.claimed_by, "message_count": row.message_count,
            "ticket": row.ticket_code, "topic": row.topic, "recorded_seconds": row.recorded_seconds}
