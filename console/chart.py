"""A small bar chart computed on the server, drawn by the template as inline SVG."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    """One bar: its place, its size, its value and its label."""

    x: float
    y: float
    width: float
    height: float
    value: int
    label: str


@dataclass(frozen=True)
class BarChart:
    """Bars scaled to fit a width × height drawing area, with a baseline and the largest value."""

    width: int
    height: int
    baseline: float
    top: int
    bars: tuple[Bar, ...]


def bar_chart(values: tuple[int, ...], labels: tuple[str, ...], width: int = 480, height: int = 160,
              axis_space: int = 18) -> BarChart:
    """Bars for `values`, the tallest filling the height above the axis labels."""
    if len(values) != len(labels) or not values:
        raise ValueError("a chart needs as many labels as values, and at least one value")
    top = max(max(values), 1)
    plot_height = height - axis_space
    slot = width / len(values)
    bars = tuple(
        Bar(x=round(index * slot + slot * 0.1, 2), y=round(plot_height - value / top * plot_height, 2),
            width=round(slot * 0.8, 2), height=round(value / top * plot_height, 2), value=value, label=label)
        for index, (value, label) in enumerate(zip(values, labels, strict=True)))
    return BarChart(width=width, height=height, baseline=plot_height, top=top, bars=bars)
