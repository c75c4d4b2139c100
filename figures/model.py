"""The figures of one period: plain values, ready for tables, charts and comparisons."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from figures.period import Period


def with_known(counts: Mapping[str, int], known: Iterable[str]) -> dict[str, int]:
    """The counts with every known key present (zero when absent), known keys first, in order."""
    ordered = {key: counts.get(key, 0) for key in known}
    ordered.update((key, counts[key]) for key in sorted(counts) if key not in ordered)
    return ordered


def ratio(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide."""
    return part / whole if whole else None


@dataclass(frozen=True)
class CallFigures:
    """Calls by local day, by local hour of day, by outcome, by day and outcome, and by language."""

    per_day: dict[date, int]
    per_hour: tuple[int, ...]
    by_outcome: dict[str, int]
    per_day_outcome: dict[date, dict[str, int]]
    by_language: dict[str, int] = field(default_factory=dict)  # the language each call ended in

    @property
    def total(self) -> int:
        """Every call of the period."""
        return sum(self.per_day.values())


@dataclass(frozen=True)
class AnswerRate:
    """Calls started while the line was open, and those an operator answered."""

    calls_while_open: int
    answered: int

    @property
    def rate(self) -> float | None:
        """answered / calls_while_open (None with no such call)."""
        return ratio(self.answered, self.calls_while_open)


@dataclass(frozen=True)
class TicketFigures:
    """Tickets opened in the period, by topic and by channel."""

    by_topic: dict[str, int]
    by_channel: dict[str, int]

    @property
    def total(self) -> int:
        """Every ticket of the period."""
        return sum(self.by_topic.values())


@dataclass(frozen=True)
class Distribution:
    """How many values, their median and their 90th percentile (seconds; None with no value)."""

    count: int
    median: float | None
    p90: float | None


@dataclass(frozen=True)
class CallbackFigures:
    """Callback entries opened in the period and how calling them back went."""

    total: int
    reached: int
    unreachable: int
    delay: Distribution

    @property
    def still_open(self) -> int:
        """Entries neither reached nor given up."""
        return self.total - self.reached - self.unreachable


@dataclass(frozen=True)
class WrittenFigures:
    """Written requests (form, e-mail, fax, letter) opened in the period: by topic, and the wait for an answer."""

    by_topic: dict[str, int]
    first_answer: Distribution

    @property
    def total(self) -> int:
        """Every written request of the period."""
        return sum(self.by_topic.values())

    @property
    def unanswered(self) -> int:
        """Written requests no operator has answered by e-mail yet."""
        return self.total - self.first_answer.count


@dataclass(frozen=True)
class Figures:
    """Every figure of one period."""

    period: Period
    calls: CallFigures
    answer_rate: AnswerRate
    tickets: TicketFigures
    callbacks: CallbackFigures
    written: WrittenFigures
