"""Local days and hours across the daylight-saving changes, computed inside each database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from figures.period import Period
from figures.queries import call_figures
from storage.models import Call
from tests.figures_dataset import ROME, migrated_engine

UTC = UTC


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated, empty database."""
    engine = migrated_engine(database_url)
    yield engine
    engine.dispose()


def _store(engine: Engine, *instants: datetime, outcome: str | None = "message") -> None:
    with Session(engine) as session:
        for instant in instants:
            session.add(Call(call_sid=f"CA{instant.timestamp():.0f}{outcome}", started_at=instant, outcome=outcome))
        session.commit()


def test_autumn_change_counts_the_repeated_hour_twice_on_its_day(engine: Engine) -> None:
    _store(engine,
           datetime(2026, 10, 24, 22, 30, tzinfo=UTC),   # 25/10 00:30 CEST
           datetime(2026, 10, 25, 0, 30, tzinfo=UTC),    # 25/10 02:30 CEST, first pass
           datetime(2026, 10, 25, 1, 30, tzinfo=UTC),    # 25/10 02:30 CET, second pass
           datetime(2026, 10, 25, 22, 59, tzinfo=UTC),   # 25/10 23:59 CET
           datetime(2026, 10, 25, 23, 30, tzinfo=UTC))   # 26/10 00:30 CET
    with Session(engine) as session:
        figures = call_figures(session, Period(date(2026, 10, 25), date(2026, 10, 26), ROME))
    assert figures.per_day == {date(2026, 10, 25): 4, date(2026, 10, 26): 1}
    assert [figures.per_hour[hour] for hour in (0, 2, 23)] == [2, 2, 1]
    assert sum(figures.per_hour) == 5


def test_spring_change_moves_the_clock_forward_at_two(engine: Engine) -> None:
    _store(engine,
           datetime(2026, 3, 29, 0, 59, tzinfo=UTC),     # 01:59 CET
           datetime(2026, 3, 29, 1, 0, tzinfo=UTC),      # 03:00 CEST
           datetime(2026, 3, 29, 21, 59, tzinfo=UTC),    # 23:59 CEST
           datetime(2026, 3, 29, 22, 0, tzinfo=UTC))     # 30/03 00:00 CEST
    with Session(engine) as session:
        figures = call_figures(session, Period(date(2026, 3, 29), date(2026, 3, 30), ROME))
    assert figures.per_day == {date(2026, 3, 29): 3, date(2026, 3, 30): 1}
    assert [figures.per_hour[hour] for hour in (0, 1, 2, 3, 23)] == [1, 1, 0, 1, 1]


def test_a_period_spanning_both_changes_uses_each_offset(engine: Engine) -> None:
    _store(engine,
           datetime(2026, 1, 15, 8, 0, tzinfo=UTC),      # 09:00 CET
           datetime(2026, 7, 15, 8, 0, tzinfo=UTC),      # 10:00 CEST
           datetime(2026, 12, 15, 8, 0, tzinfo=UTC))     # 09:00 CET
    with Session(engine) as session:
        figures = call_figures(session, Period(date(2026, 1, 1), date(2026, 12, 31), ROME))
    assert figures.per_hour[9] == 2 and figures.per_hour[10] == 1
    assert figures.per_day[date(2026, 7, 15)] == 1 and len(figures.per_day) == 365


def test_an_outcome_the_dossier_does_not_know_is_kept_under_its_own_key(engine: Engine) -> None:
    _store(engine, datetime(2026, 5, 5, 8, 0, tzinfo=UTC), outcome="transferred")
    with Session(engine) as session:
        figures = call_figures(session, Period(date(2026, 5, 5), date(2026, 5, 5), ROME))
    assert list(figures.by_outcome) == ["self_service", "operator", "message", "abandoned", "unknown", "transferred"]
    assert figures.by_outcome["transferred"] == 1
