"""The Today page: the day's calls, lookups, messages and callbacks, with a chart per hour."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import render_template

from access.accounts import Role
from console.chart import bar_chart
from console.formatting import zone
from console.security import reading, requires
from console.web import blueprint
from contact_center.runtime import current_runtime
from figures.today import HOURS, today_figures

HOUR_LABELS = tuple(f"{hour:02d}" for hour in range(HOURS))


@blueprint.get("/today")
@requires(Role.OPERATOR)
def today() -> Any:
    """Today's figures."""
    overdue_after = timedelta(hours=current_runtime().settings.console.callback_target_hours)
    with reading() as db:
        figures = today_figures(db, current_runtime().clock(), zone(), overdue_after)
    return render_template("console/today.html", figures=figures,
                           calls_chart=bar_chart(figures.calls_by_hour, HOUR_LABELS),
                           messages_chart=bar_chart(figures.messages_by_hour, HOUR_LABELS),
                           overdue_hours=overdue_after // timedelta(hours=1))
