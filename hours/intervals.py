"""A static index of half-open time ranges, answering point and range queries by bisection."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Hashable, Iterable
from datetime import datetime
from typing import Generic, TypeVar

Item = TypeVar("Item", bound=Hashable)


class IntervalIndex(Generic[Item]):
    """Items over [start, end) ranges, cut at every range edge into segments with their covering items."""

    __slots__ = ("_covering", "_edges")

    def __init__(self, spans: Iterable[tuple[datetime, datetime, Item]]) -> None:
        """Index (start, end, item) spans; all instants must share one tzinfo (UTC)."""
        ordered = sorted(spans, key=lambda span: span[0])
        self._edges = sorted({edge for start, end, _ in ordered for edge in (start, end)})
        starting: dict[datetime, list[tuple[datetime, datetime, Item]]] = {}
        for span in ordered:
            starting.setdefault(span[0], []).append(span)
        covering: list[tuple[Item, ...]] = []
        active: list[tuple[datetime, datetime, Item]] = []
        for edge in self._edges:
            active = [span for span in active if span[1] > edge] + starting.get(edge, [])
            covering.append(tuple(span[2] for span in active))
        self._covering = covering

    def covering(self, instant: datetime) -> tuple[Item, ...]:
        """The items whose range contains the instant, earliest start first."""
        segment = bisect_right(self._edges, instant) - 1
        return self._covering[segment] if segment >= 0 else ()

    def overlapping(self, start: datetime, end: datetime) -> tuple[Item, ...]:
        """The items whose range meets [start, end), earliest start first."""
        first = max(bisect_right(self._edges, start) - 1, 0)
        last = bisect_left(self._edges, end)
        return tuple(dict.fromkeys(item for items in self._covering[first:last] for item in items))

    def edges_between(self, start: datetime, end: datetime) -> list[datetime]:
        """The range starts and ends falling in [start, end), in order."""
        return self._edges[bisect_left(self._edges, start):bisect_left(self._edges, end)]
