"""The dossier: a period's figures against an ordinary period, each event's, as HTML and CSV.

The HTML page is self-contained (inline CSS, charts as inline SVG): the same text is written
by `contact-center report` and served in the supervisors' console.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy.orm import Session

from figures import charts, formatting, labels, tables
from figures.compute import Comparison, EventComparison, compare, compare_events
from figures.events import event_period, events_overlapping
from figures.period import Period
from figures.tables import Table
from hours import Timetable
from storage.models import EmergencyEvent

HTML_NAME: Final = "dossier.html"
LINE_TITLE: Final = "Contact Center 800 840 840"
_ENVIRONMENT: Final = Environment(
    loader=FileSystemLoader(labels.TEMPLATES_DIR), autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True, lstrip_blocks=True)


@dataclass(frozen=True)
class Chart:
    """A chart's title and its SVG text."""

    title: str
    svg: str


@dataclass(frozen=True)
class Selector:
    """The console's choice of period or event shown above the dossier (GET forms to `action`)."""

    action: str
    events: tuple[str, ...]
    selected_event: str | None = None
    error: str | None = None
    home: str | None = None
    manage_events: str | None = None
    navigation: tuple[tuple[str, str], ...] = ()  # the console's sections (label, address) for its header
    csv_action: str | None = None  # the address that answers one table as CSV (?table=slug and the period)
    csv_query: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Dossier:
    """Everything the report shows."""

    title: str
    period: Period
    comparison: Comparison
    events: tuple[EventComparison, ...]
    generated_at: datetime

    def tables(self) -> list[Table]:
        """Every table, in the page's order (each one is also a CSV file)."""
        found = [
            tables.summary_table(self.comparison),
            tables.per_day_table(self.comparison.current),
            tables.per_hour_table(self.comparison),
            tables.outcome_table(self.comparison),
            tables.language_table(self.comparison),
            tables.topic_table(self.comparison),
            tables.channel_table(self.comparison),
            tables.written_topic_table(self.comparison),
            tables.first_answer_table(self.comparison),
            tables.callback_table(self.comparison),
        ]
        if self.events:
            found.append(tables.events_table(self.events))
        return found


def build_dossier(session: Session, period: Period, timetable: Timetable,
                  event: EmergencyEvent | None = None, *, now: datetime) -> Dossier:
    """The dossier of `period`; with `event`, titled after it and listing only it among the events."""
    events: Sequence[EmergencyEvent] = [event] if event is not None else events_overlapping(session, period)
    listed = [item for item in events if event_period(item, timetable.zone) != period]
    title = f"{LINE_TITLE}: {event.name}" if event is not None else f"Dossier del {LINE_TITLE}"
    return Dossier(title=title, period=period, comparison=compare(session, period, timetable),
                   events=tuple(compare_events(session, listed, timetable)), generated_at=now)


def dossier_charts(dossier: Dossier) -> dict[str, Chart]:
    """The charts, by the slug of the table they illustrate."""
    current, ordinary = dossier.comparison.current, dossier.comparison.ordinary
    series = (labels.text("column", "period"), labels.text("column", "ordinary"))
    outcome_labels = {key: labels.outcome(key) for key in current.calls.by_outcome}

    def breakdown(chart: str, now: dict[str, int], before: dict[str, int], name: Callable[[str], str]) -> Chart:
        keys = list(dict.fromkeys([*now, *before]))
        return Chart(labels.text("chart", chart), charts.breakdown_chart(
            chart, [name(key) for key in keys], [now.get(key, 0) for key in keys],
            [before.get(key, 0) for key in keys], series))

    return {
        "chiamate_per_giorno": Chart(labels.text("chart", "per_day"), charts.daily_chart(
            current.calls.per_day_outcome, outcome_labels, ordinary.calls.total / ordinary.period.day_count,
            labels.text("chart", "per_day_mean"))),
        "chiamate_per_ora": Chart(labels.text("chart", "per_hour"), charts.hourly_chart(
            current.calls.per_hour, ordinary.calls.per_hour, series)),
        "esiti_chiamate": breakdown("outcomes", current.calls.by_outcome, ordinary.calls.by_outcome,
                                    labels.outcome),
        "chiamate_per_lingua": breakdown("languages", current.calls.by_language, ordinary.calls.by_language,
                                         labels.language),
        "richieste_per_argomento": breakdown("topics", current.tickets.by_topic, ordinary.tickets.by_topic,
                                             labels.topic),
        "richieste_per_canale": breakdown("channels", current.tickets.by_channel, ordinary.tickets.by_channel,
                                          labels.channel),
    }


def dossier_html(dossier: Dossier, selector: Selector | None = None) -> str:
    """The self-contained HTML page of the dossier, in Italian (with the console's selector, if given)."""
    zone = dossier.period.zone
    ordinary = dossier.comparison.ordinary.period
    drawn = dossier_charts(dossier)
    return _ENVIRONMENT.get_template("dossier.html.j2").render(
        dossier=dossier,
        period_text=formatting.day_span(dossier.period.first_day, dossier.period.last_day),
        ordinary_text=formatting.day_span(ordinary.first_day, ordinary.last_day),
        generated_text=dossier.generated_at.astimezone(zone).strftime("%d/%m/%Y alle %H:%M"),
        tables={table.slug: table for table in dossier.tables()},
        charts={slug: Markup(chart.svg) for slug, chart in drawn.items()},
        chart_titles={slug: chart.title for slug, chart in drawn.items()},
        selector=selector,
    )


def render_dossier_html(session: Session, period: Period, event: EmergencyEvent | None = None, *,
                        timetable: Timetable, now: datetime, selector: Selector | None = None) -> str:
    """The dossier page of `period` (optionally about `event`), computed from the database."""
    return dossier_html(build_dossier(session, period, timetable, event, now=now), selector)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A cell a spreadsheet will not run: text starting like a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def table_csv(table: Table) -> str:
    """One table as CSV text: the header row, then the raw values (safe from spreadsheet formulas)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([csv_cell(column) for column in table.columns])
    writer.writerows([csv_cell(cell.raw) for cell in row] for row in table.rows)
    return buffer.getvalue()


def write_dossier(dossier: Dossier, out_dir: Path) -> list[Path]:
    """Write dossier.html and one CSV per table into `out_dir`; the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / HTML_NAME
    html_path.write_text(dossier_html(dossier), encoding="utf-8")
    written = [html_path]
    for table in dossier.tables():
        path = out_dir / f"{table.slug}.csv"
        path.write_text(table_csv(table), encoding="utf-8", newline="")
        written.append(path)
    return written
