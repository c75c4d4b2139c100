"""Tracking codes stay unique when many workers create tickets at once on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import sessionmaker

from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import Ticket
from tests.conftest import LINE_OPEN_AT
from tickets.codes import is_valid_code
from tickets.repository import create_ticket
from tickets.status import Channel

pytestmark = pytest.mark.postgres
THREADS = 16


@pytest.fixture
def engine(postgres_server_url: str) -> Iterator[Engine]:
    """A fresh schema on the session's private PostgreSQL database, one connection per thread."""
    from tests.conftest import _reset_postgres

    _reset_postgres(postgres_server_url)
    engine = make_engine(postgres_server_url, pool_size=THREADS, max_overflow=0, pool_timeout=30)
    upgrade(engine)
    yield engine
    engine.dispose()


def _create_many(sessions: sessionmaker, barrier: Barrier, count: int, code_length: int) -> list[str]:
    """Wait for every thread, then create `count` tickets, one transaction each."""
    barrier.wait()
    codes = []
    for _ in range(count):
        with sessions.begin() as session:
            codes.append(create_ticket(session, channel=Channel.WEB, summary="prova", code_length=code_length,
                                       now=LINE_OPEN_AT).code)
    return codes


def _run(engine: Engine, per_thread: int, code_length: int) -> list[str]:
    sessions = make_session_factory(engine)
    barrier = Barrier(THREADS)
    with ThreadPoolExecutor(THREADS) as pool:
        batches = list(pool.map(lambda _: _create_many(sessions, barrier, per_thread, code_length), range(THREADS)))
    return [code for batch in batches for code in batch]


@pytest.mark.slow
def test_16_threads_creating_500_tickets_each_get_8000_distinct_valid_codes(engine: Engine) -> None:
    codes = _run(engine, per_thread=500, code_length=8)
    assert len(codes) == len(set(codes)) == 8000
    assert all(is_valid_code(code, 8) for code in codes)
    with engine.connect() as connection:
        stored = connection.execute(select(func.count(func.distinct(Ticket.code)))).scalar_one()
    assert stored == 8000


def test_collisions_in_a_crowded_code_space_are_retried(engine: Engine) -> None:
    """Four-digit codes (900 possible): 400 tickets collide often, and every one still gets its own code."""
    codes = _run(engine, per_thread=25, code_length=4)
    assert len(codes) == len(set(codes)) == 400
    assert all(is_valid_code(code, 4) for code in codes)
