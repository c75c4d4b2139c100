"""The dossier's charts, drawn on the server with matplotlib (Agg canvas) and returned as SVG text.

No pyplot: each chart is its own Figure, so nothing global is touched and rendering is safe
from several threads. Text is drawn as paths, so the SVG needs no font and no other file.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Final

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.dates import DateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from figures import formatting

PERIOD_COLOR: Final = "#0b5394"
ORDINARY_COLOR: Final = "#a6a6a6"
OUTCOME_COLORS: Final = ("#2e7d32", "#0b5394", "#f9a825", "#c62828", "#757575", "#6a1b9a", "#00838f")
WIDTH_INCHES: Final = 9.0
_PROLOG: Final = re.compile(r"^.*?(?=<svg)", re.DOTALL)


def _new_figure(height: float) -> Figure:
    """An empty figure on an Agg canvas."""
    figure = Figure(figsize=(WIDTH_INCHES, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _count_axis(axis: matplotlib.axis.Axis) -> None:
    """Whole numbers written the Italian way."""
    axis.set_major_locator(MaxNLocator(integer=True))
    axis.set_major_formatter(FuncFormatter(lambda value, _position: formatting.integer(int(value))))


def _legend_on_top(figure: Figure, columns: int) -> None:
    """The legend above the plot, outside it, so it never hides a bar."""
    figure.legend(loc="outside upper center", ncols=columns, fontsize="small", frameon=False)


def to_svg(figure: Figure, name: str) -> str:
    """The figure as an <svg> element (no XML prolog); `name` keeps its internal ids unique."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": name, "svg.fonttype": "path"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return _PROLOG.sub("", buffer.getvalue(), count=1)


def _bar_outline(centre: float, bottom: float, height: float, width: float = 0.85) -> list[tuple[float, float]]:
    """The four corners of a bar."""
    left, right = centre - width / 2, centre + width / 2
    return [(left, bottom), (right, bottom), (right, bottom + height), (left, bottom + height)]


def day_ticks(days: Sequence[date], most: int = 12) -> list[date]:
    """The days labelled under the daily chart: at most `most`, evenly spaced, each day once."""
    step = max(1, math.ceil(len(days) / most))
    return list(days)[::step]


def daily_chart(per_day_outcome: Mapping[date, Mapping[str, int]], outcome_labels: Mapping[str, str],
                ordinary_mean: float, mean_label: str) -> str:
    """Stacked bars of calls per day by outcome, with the ordinary period's daily mean as a line.

    Each outcome's bars are one polygon collection: a year of days draws as fast as a week.
    """
    figure = _new_figure(3.6)
    axes = figure.add_subplot()
    days = [float(date2num(day)) for day in per_day_outcome]  # type: ignore[no-untyped-call]
    bottoms = [0] * len(days)
    for color, (key, label) in zip(OUTCOME_COLORS, outcome_labels.items(), strict=False):
        heights = [counts.get(key, 0) for counts in per_day_outcome.values()]
        axes.add_collection(PolyCollection(
            [_bar_outline(day, bottom, height) for day, bottom, height in zip(days, bottoms, heights, strict=True)],
            facecolors=color, linewidths=0, label=label))
        bottoms = [bottom + height for bottom, height in zip(bottoms, heights, strict=True)]
    axes.set_ylim(0, max([*bottoms, ordinary_mean, 1]) * 1.05)
    axes.axhline(ordinary_mean, color="#000000", linestyle="--", linewidth=1, label=mean_label)
    ticks = day_ticks(list(per_day_outcome))
    axes.set_xticks([float(date2num(day)) for day in ticks])  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_formatter(DateFormatter(  # type: ignore[no-untyped-call]
        "%d/%m" if ticks[0].year == ticks[-1].year else "%d/%m/%y"))
    _count_axis(axes.yaxis)
    axes.set_xlim(days[0] - 1, days[-1] + 1)
    _legend_on_top(figure, 3)
    axes.spines[["top", "right"]].set_visible(False)
    return to_svg(figure, "per-day")


def hourly_chart(current: Sequence[int], ordinary: Sequence[int], labels: tuple[str, str]) -> str:
    """Calls by hour of day: the period's bars beside the ordinary period's."""
    figure = _new_figure(3.2)
    axes = figure.add_subplot()
    hours = range(24)
    axes.bar([hour - 0.2 for hour in hours], current, width=0.4, color=PERIOD_COLOR, label=labels[0])
    axes.bar([hour + 0.2 for hour in hours], ordinary, width=0.4, color=ORDINARY_COLOR, label=labels[1])
    axes.set_xticks(list(hours), [f"{hour:02d}" for hour in hours], fontsize="small")
    _count_axis(axes.yaxis)
    _legend_on_top(figure, 2)
    axes.spines[["top", "right"]].set_visible(False)
    return to_svg(figure, "per-hour")


def breakdown_chart(name: str, categories: Sequence[str], current: Sequence[int], ordinary: Sequence[int],
                    labels: tuple[str, str]) -> str:
    """Horizontal bars by category: the period's beside the ordinary period's."""
    figure = _new_figure(0.5 + 0.45 * max(len(categories), 1))
    axes = figure.add_subplot()
    positions = list(range(len(categories)))
    axes.barh([position - 0.2 for position in positions], current, height=0.4, color=PERIOD_COLOR, label=labels[0])
    axes.barh([position + 0.2 for position in positions], ordinary, height=0.4, color=ORDINARY_COLOR,
              label=labels[1])
    axes.set_yticks(positions, list(categories), fontsize="small")
    axes.invert_yaxis()
    _count_axis(axes.xaxis)
    _legend_on_top(figure, 2)
    axes.spines[["top", "right"]].set_visible(False)
    return to_svg(figure, name)
