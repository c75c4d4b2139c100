"""The dossier's tables: the same rows feed the HTML page and the CSV files.

Only aggregates go in: counts, rates, durations, the line's labels and event names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from figures import formatting, labels
from figures.compute import Comparison, EventComparison
from figures.model import Figures

Kind = Literal["text", "day", "count", "decimal", "rate", "seconds", "change", "points"]
Raw = str | int | float | None

_DISPLAY: Final[Mapping[Kind, Callable[[Any], str]]] = {
    "text": str,
    "day": formatting.day,
    "count": formatting.integer,
    "decimal": formatting.decimal,
    "rate": formatting.percent,
    "seconds": formatting.duration,
    "change": formatting.signed_percent,
    "points": formatting.signed_points,
}


@dataclass(frozen=True)
class Cell:
    """One value and how to show it."""

    value: Any
    kind: Kind

    @property
    def display(self) -> str:
        """The value written for the page, in Italian."""
        if self.value is None:
            return formatting.NOT_AVAILABLE
        return _DISPLAY[self.kind](self.value)

    @property
    def raw(self) -> Raw:
        """The value written for the CSV file: numbers plain, rates as fractions, seconds whole."""
        if self.value is None:
            return None
        if self.kind == "day":
            return str(self.value.isoformat())
        if self.kind == "seconds":
            return round(float(self.value))
        if self.kind in ("decimal", "rate", "change", "points"):
            return round(float(self.value), 4)
        return self.value if isinstance(self.value, int | str) else str(self.value)


@dataclass(frozen=True)
class Table:
    """A titled table; `slug` names its CSV file."""

    slug: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


def _col(key: str) -> str:
    return labels.text("column", key)


def _relative(current: float | None, ordinary: float | None) -> float | None:
    if current is None or not ordinary:
        return None
    return (current - ordinary) / ordinary


def _difference(current: float | None, ordinary: float | None) -> float | None:
    return None if current is None or ordinary is None else current - ordinary


def _row(label: str, kind: Kind, current: float | None, ordinary: float | None) -> tuple[Cell, ...]:
    """A summary row: the label, both values and their change (points for a rate)."""
    if kind == "rate":
        variation = Cell(_difference(current, ordinary), "points")
    else:
        variation = Cell(_relative(current, ordinary), "change")
    return (Cell(label, "text"), Cell(current, kind), Cell(ordinary, kind), variation)


def _summary_values(figures: Figures) -> list[tuple[str, Kind, float | None]]:
    """The headline figures of a period, as (summary label key, kind, value)."""
    calls, callbacks = figures.calls, figures.callbacks
    return [
        ("calls", "count", calls.total),
        ("daily_mean", "decimal", calls.total / figures.period.day_count),
        ("self_service", "count", calls.by_outcome["self_service"]),
        ("operator", "count", calls.by_outcome["operator"]),
        ("message", "count", calls.by_outcome["message"]),
        ("abandoned", "count", calls.by_outcome["abandoned"]),
        ("calls_while_open", "count", figures.answer_rate.calls_while_open),
        ("answer_rate", "rate", figures.answer_rate.rate),
        ("tickets", "count", figures.tickets.total),
        ("callbacks", "count", callbacks.total),
        ("reached", "count", callbacks.reached),
        ("unreachable", "count", callbacks.unreachable),
        ("median_delay", "seconds", callbacks.delay.median),
        ("p90_delay", "seconds", callbacks.delay.p90),
    ]


def summary_table(comparison: Comparison, slug: str = "sintesi", title: str = "Sintesi") -> Table:
    """Headline figures of the period against the ordinary period, with their change."""
    current = _summary_values(comparison.current)
    ordinary = _summary_values(comparison.ordinary)
    rows = tuple(_row(labels.text("summary", key), kind, value, before)
                 for (key, kind, value), (_, _, before) in zip(current, ordinary, strict=True))
    return Table(slug, title, (_col("figure"), _col("period"), _col("ordinary"), _col("change")), rows)


def per_day_table(figures: Figures) -> Table:
    """Calls of each local day, in total and by outcome."""
    outcomes = list(figures.calls.by_outcome)
    rows = tuple(
        (Cell(day, "day"), Cell(total, "count"),
         *(Cell(figures.calls.per_day_outcome[day].get(key, 0), "count") for key in outcomes))
        for day, total in figures.calls.per_day.items())
    columns = (_col("day"), _col("total"), *(labels.outcome(key) for key in outcomes))
    return Table("chiamate_per_giorno", labels.text("chart", "per_day"), columns, rows)


def per_hour_table(comparison: Comparison) -> Table:
    """Calls by local hour of day, in the period and in the ordinary period."""
    rows = tuple(
        (Cell(f"{hour:02d}:00-{hour + 1:02d}:00", "text"), Cell(current, "count"), Cell(ordinary, "count"))
        for hour, (current, ordinary) in enumerate(
            zip(comparison.current.calls.per_hour, comparison.ordinary.calls.per_hour, strict=True)))
    return Table("chiamate_per_ora", labels.text("chart", "per_hour"),
                 (_col("hour"), _col("period"), _col("ordinary")), rows)


def _breakdown(slug: str, title: str, first_column: str, current: Mapping[str, int],
               ordinary: Mapping[str, int], name: Callable[[str], str]) -> Table:
    """Counts and shares by key, in the period and in the ordinary period."""
    current_total, ordinary_total = sum(current.values()), sum(ordinary.values())
    keys = list(dict.fromkeys([*current, *ordinary]))
    rows = tuple(
        (Cell(name(key), "text"),
         Cell(current.get(key, 0), "count"),
         Cell(current.get(key, 0) / current_total if current_total else None, "rate"),
         Cell(ordinary.get(key, 0), "count"),
         Cell(ordinary.get(key, 0) / ordinary_total if ordinary_total else None, "rate"))
        for key in keys)
    columns = (first_column, _col("period"), f"{_col('share')} ({_col('period').lower()})",
               _col("ordinary"), f"{_col('share')} ({_col('ordinary').lower()})")
    return Table(slug, title, columns, rows)


def outcome_table(comparison: Comparison) -> Table:
    """Outcome of calls."""
    return _breakdown("esiti_chiamate", labels.text("chart", "outcomes"), _col("outcome"),
                      comparison.current.calls.by_outcome, comparison.ordinary.calls.by_outcome, labels.outcome)


def language_table(comparison: Comparison) -> Table:
    """Calls by the caller's language."""
    return _breakdown("chiamate_per_lingua", labels.text("chart", "languages"), _col("language"),
                      comparison.current.calls.by_language, comparison.ordinary.calls.by_language, labels.language)


def topic_table(comparison: Comparison) -> Table:
    """Tickets by topic."""
    return _breakdown("richieste_per_argomento", labels.text("chart", "topics"), _col("topic"),
                      comparison.current.tickets.by_topic, comparison.ordinary.tickets.by_topic, labels.topic)


def channel_table(comparison: Comparison) -> Table:
    """Tickets by channel."""
    return _breakdown("richieste_per_canale", labels.text("chart", "channels"), _col("channel"),
                      comparison.current.tickets.by_channel, comparison.ordinary.tickets.by_channel, labels.channel)


def written_topic_table(comparison: Comparison) -> Table:
    """Written requests (form, e-mail, fax, letter) by topic."""
    return _breakdown("richieste_scritte_per_argomento", labels.text("chart", "written_topics"), _col("topic"),
                      comparison.current.written.by_topic, comparison.ordinary.written.by_topic, labels.topic)


def _written_values(figures: Figures) -> list[tuple[str, Kind, float | None]]:
    written = figures.written
    return [
        ("total", "count", written.total),
        ("answered", "count", written.first_answer.count),
        ("unanswered", "count", written.unanswered),
        ("median", "seconds", written.first_answer.median),
        ("p90", "seconds", written.first_answer.p90),
    ]


def first_answer_table(comparison: Comparison) -> Table:
    """Written requests answered by e-mail, and the time to the first answer."""
    rows = tuple(_row(labels.text("written", key), kind, value, before)
                 for (key, kind, value), (_, _, before) in zip(
                     _written_values(comparison.current), _written_values(comparison.ordinary), strict=True))
    return Table("prima_risposta_scritte", labels.text("chart", "first_answer"),
                 (_col("figure"), _col("period"), _col("ordinary"), _col("change")), rows)


def _callback_values(figures: Figures) -> list[tuple[str, Kind, float | None]]:
    callbacks = figures.callbacks
    return [
        ("total", "count", callbacks.total),
        ("reached", "count", callbacks.reached),
        ("unreachable", "count", callbacks.unreachable),
        ("still_open", "count", callbacks.still_open),
        ("attempted", "count", callbacks.delay.count),
        ("median", "seconds", callbacks.delay.median),
        ("p90", "seconds", callbacks.delay.p90),
    ]


def callback_table(comparison: Comparison) -> Table:
    """Callback entries: reached, unreachable, still open, and the delay to a first attempt."""
    rows = tuple(_row(labels.text("callback", key), kind, value, before)
                 for (key, kind, value), (_, _, before) in zip(
                     _callback_values(comparison.current), _callback_values(comparison.ordinary), strict=True))
    return Table("richiamate", labels.text("chart", "callbacks"),
                 (_col("figure"), _col("period"), _col("ordinary"), _col("change")), rows)


def events_table(events: Iterable[EventComparison]) -> Table:
    """Each event's headline figures against its own ordinary period."""
    rows = []
    for event in events:
        current, ordinary = event.comparison.current, event.comparison.ordinary
        rows.append((
            Cell(event.name, "text"), Cell(current.period.first_day, "day"), Cell(current.period.last_day, "day"),
            Cell(current.calls.total, "count"), Cell(ordinary.calls.total, "count"),
            Cell(_relative(current.calls.total, ordinary.calls.total), "change"),
            Cell(current.tickets.total, "count"), Cell(current.calls.by_outcome["message"], "count"),
            Cell(current.answer_rate.rate, "rate"), Cell(event.extensions, "count")))
    columns = (_col("event"), _col("from"), _col("to"), _col("calls"), _col("ordinary_calls"), _col("change"),
               _col("tickets"), _col("messages"), _col("answer_rate"), _col("extensions"))
    return Table("eventi", "Eventi ed emergenze", columns, tuple(rows))
