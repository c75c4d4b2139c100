"""One query per figure, aggregated inside the database: only counts come back to Python.

Each function reads one table over one period; the rows it returns are bounded by the
period's hours, not by the number of calls, so a year of a million calls costs one scan.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from datetime import date
from math import floor
from typing import Any, Final

from sqlalchemy import Integer, Select, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from figures.localtime import local_hour_slot, parse_slot
from figures.model import (
    AnswerRate,
    CallbackFigures,
    CallFigures,
    Distribution,
    TicketFigures,
    WrittenFigures,
    with_known,
)
from figures.opening import Interval, chunks
from figures.period import Period
from storage.models import Call, CallbackAttempt, CallbackRequest, Ticket, TicketReply
from tickets.status import Channel, Topic
from tickets.vocabulary import LANGUAGE_CODES
from voicemail.status import CallbackStatus

OPERATOR_OUTCOME: Final = "operator"
UNKNOWN_OUTCOME: Final = "unknown"
KNOWN_OUTCOMES: Final = ("self_service", "operator", "message", "abandoned")
REACHED_STATUS: Final = CallbackStatus.DONE.value
UNREACHABLE_STATUS: Final = CallbackStatus.UNREACHABLE.value
INTERVALS_PER_QUERY: Final = 200
STREAM_BATCH: Final = 20_000
WRITTEN_CHANNELS: Final = (Channel.WEB.value, Channel.EMAIL.value, Channel.FAX.value, Channel.LETTER.value)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _within(column: Any, period: Period) -> Any:
    return and_(column >= period.starts_at, column < period.ends_at)


def call_figures(session: Session, period: Period) -> CallFigures:
    """Calls per local day, per local hour of day and by outcome, from one grouped scan."""
    slots = select(local_hour_slot(Call.started_at, period, _dialect(session)).label("slot"),
                   Call.outcome.label("outcome"), Call.language.label("language")
                   ).where(_within(Call.started_at, period)).subquery()
    rows = session.execute(
        select(slots.c.slot, slots.c.outcome, slots.c.language, func.count())
        .group_by(slots.c.slot, slots.c.outcome, slots.c.language))
    per_day = dict.fromkeys(period.days(), 0)
    per_hour = [0] * 24
    by_outcome: dict[str, int] = {}
    by_language: dict[str, int] = {}
    per_day_outcome: dict[date, dict[str, int]] = {day: {} for day in period.days()}
    for slot, outcome, language, count in rows:
        day, hour = parse_slot(slot)
        key = outcome or UNKNOWN_OUTCOME
        per_day[day] += count
        per_hour[hour] += count
        by_outcome[key] = by_outcome.get(key, 0) + count
        by_language[language] = by_language.get(language, 0) + count
        per_day_outcome[day][key] = per_day_outcome[day].get(key, 0) + count
    return CallFigures(per_day=per_day, per_hour=tuple(per_hour),
                       by_outcome=with_known(by_outcome, (*KNOWN_OUTCOMES, UNKNOWN_OUTCOME)),
                       per_day_outcome=per_day_outcome, by_language=with_known(by_language, LANGUAGE_CODES))


def answer_rate(session: Session, intervals: Sequence[Interval]) -> AnswerRate:
    """Calls started while the line was open, and how many of them an operator answered."""
    started = answered = 0
    for group in chunks(intervals, INTERVALS_PER_QUERY):
        while_open = or_(*(and_(Call.started_at >= start, Call.started_at < end) for start, end in group))
        total, operator = session.execute(
            select(func.count(), func.count().filter(Call.outcome == OPERATOR_OUTCOME)).where(while_open)).one()
        started += total
        answered += operator
    return AnswerRate(calls_while_open=started, answered=answered)


def ticket_figures(session: Session, period: Period) -> TicketFigures:
    """Tickets opened in the period by topic and by channel, from one grouped query."""
    rows = session.execute(
        select(Ticket.topic, Ticket.channel, func.count())
        .where(_within(Ticket.created_at, period)).group_by(Ticket.topic, Ticket.channel))
    by_topic: dict[str, int] = {}
    by_channel: dict[str, int] = {}
    for topic, channel, count in rows:
        by_topic[topic] = by_topic.get(topic, 0) + count
        by_channel[channel] = by_channel.get(channel, 0) + count
    return TicketFigures(by_topic=with_known(by_topic, [member.value for member in Topic]),
                         by_channel=with_known(by_channel, [member.value for member in Channel]))


def written_figures(session: Session, period: Period) -> WrittenFigures:
    """Written requests opened in the period by topic; seconds from each one to its first answer by e-mail."""
    written = and_(_within(Ticket.created_at, period), Ticket.channel.in_(WRITTEN_CHANNELS))
    by_topic = dict(session.execute(select(Ticket.topic, func.count()).where(written).group_by(Ticket.topic))
                    .tuples().all())
    firsts = (
        select(Ticket.created_at.label("opened_at"), func.min(TicketReply.sent_at).label("answered_at"))
        .join(TicketReply, TicketReply.ticket_id == Ticket.id)
        .where(written)
        .group_by(Ticket.id, Ticket.created_at)
        .subquery())
    dialect = _dialect(session)
    delays = select(_whole_seconds(firsts.c.answered_at, dialect) - _whole_seconds(firsts.c.opened_at, dialect))
    return WrittenFigures(by_topic=with_known(by_topic, [member.value for member in Topic]),
                          first_answer=seconds_distribution(session, delays))


def callback_figures(session: Session, period: Period) -> CallbackFigures:
    """Callback entries opened in the period: reached, unreachable, still open; the delay to a first try."""
    rows = session.execute(
        select(CallbackRequest.status, func.count())
        .where(_within(CallbackRequest.created_at, period)).group_by(CallbackRequest.status))
    by_status = dict(rows.tuples().all())
    return CallbackFigures(total=sum(by_status.values()), reached=by_status.get(REACHED_STATUS, 0),
                           unreachable=by_status.get(UNREACHABLE_STATUS, 0),
                           delay=first_attempt_delay(session, period))


def first_attempt_delay(session: Session, period: Period) -> Distribution:
    """Seconds from an entry's first message to its first call back, over the entries opened in the period.

    Entries not yet called back are left out (CallbackFigures counts them as still open).
    """
    firsts = (
        select(CallbackRequest.created_at.label("left_at"), func.min(CallbackAttempt.attempted_at).label("first_at"))
        .join(CallbackAttempt, CallbackAttempt.entry_id == CallbackRequest.id)
        .where(_within(CallbackRequest.created_at, period))
        .group_by(CallbackRequest.id, CallbackRequest.created_at)
        .subquery())
    dialect = _dialect(session)
    delays = select(_whole_seconds(firsts.c.first_at, dialect) - _whole_seconds(firsts.c.left_at, dialect))
    return seconds_distribution(session, delays)


def _whole_seconds(column: Any, dialect: str) -> Any:
    """The instant as whole seconds since 1970 (both databases truncate the same way)."""
    if dialect == "postgresql":
        return func.extract("epoch", func.date_trunc("second", column))
    return cast(func.strftime("%s", column), Integer)


def seconds_distribution(session: Session, delays: Select[Any]) -> Distribution:
    """Median and 90th percentile of a one-column query of seconds (PostgreSQL computes them itself)."""
    column = delays.subquery().c[0]
    if _dialect(session) == "postgresql":
        count, median, p90 = session.execute(select(
            func.count(column),
            func.percentile_cont(0.5).within_group(column),
            func.percentile_cont(0.9).within_group(column))).one()
        return Distribution(count, median, p90)
    values = array("d", _streamed(session, select(column).where(column.is_not(None)).order_by(column)))
    return Distribution(len(values), percentile_of_sorted(values, 0.5), percentile_of_sorted(values, 0.9))


def _streamed(session: Session, query: Select[Any]) -> Iterable[float]:
    """The query's single column, fetched in batches."""
    result = session.execute(query.execution_options(yield_per=STREAM_BATCH))
    return (float(value) for value in result.scalars())


def percentile_of_sorted(values: Sequence[float], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont over sorted values: linear between the two nearest ranks."""
    if not values:
        return None
    rank = fraction * (len(values) - 1)
    lower = floor(rank)
    upper = min(lower + 1, len(values) - 1)
    return values[lower] + (values[upper] - values[lower]) * (rank - lower)
