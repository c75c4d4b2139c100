"""The limiter's promise, over random interleavings of many sources, legitimate and hostile, on both databases.

A legitimate requester (a few typos at most, then its real code) always gets its answer; a hostile
one (unknown codes only) never gets more failed answers than its allowance, however many guess at once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import LookupFailure
from tickets.codes import damm_check_digit
from tickets.lookups import Requester, look_up, lookup_session
from tickets.ratelimit import LookupLimits
from tickets.repository import create_ticket
from tickets.status import Channel

LIMITS = LookupLimits(per_caller=3, per_caller_window_s=3600, global_=4, global_window_s=600)
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
SECRET = "property-secret"


@pytest.fixture
def world(database_url: str) -> Iterator[tuple[sessionmaker[Session], str]]:
    engine = make_engine(database_url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        code = create_ticket(session, channel=Channel.WEB, summary="vera", now=NOW).code
    yield sessions, code
    engine.dispose()


def _unknown(code: str, n: int) -> str:
    body = str(int(code[:-1]) + n + 1)[: len(code) - 1]
    return body + damm_check_digit(body)


def _source(kind: str, n: int) -> Requester:
    if kind == "ip4":
        return Requester.web(f"203.0.113.{n}", SECRET)
    if kind == "ip6":
        return Requester.web(f"2001:db8:{n:x}::1", SECRET)
    if kind == "withheld":
        return Requester.phone(None, SECRET, f"CA{n}")
    return Requester.phone(f"+3934700{n:05d}", SECRET)


# A step: (hostile?, source kind, source number, seconds later).
steps = st.lists(st.tuples(st.booleans(), st.sampled_from(["ip4", "ip6", "withheld", "phone"]),
                           st.integers(0, 5), st.integers(0, 20)), min_size=1, max_size=60)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=steps, typos=st.integers(0, LIMITS.per_caller - 1))
def test_legitimate_requesters_always_get_their_answer(world, plan, typos) -> None:
    sessions, code = world
    with sessions.begin() as session:
        session.execute(delete(LookupFailure))
    at = NOW
    hostile_answers: Counter[Requester] = Counter()
    legitimate_typos: Counter[Requester] = Counter()
    for hostile, kind, number, later in plan:
        at += timedelta(seconds=later)
        # Hostile sources and legitimate ones never share a number or an address.
        who = _source(kind, number + (100 if hostile else 0))
        with lookup_session(sessions) as session:
            if hostile:
                result = look_up(session, _unknown(code, hostile_answers[who]), who, LIMITS, (12, 8), now=at)
                if result.outcome != "refused":
                    hostile_answers[who] += 1
                assert hostile_answers[who] <= LIMITS.per_caller
                continue
            while legitimate_typos[who] < typos:
                legitimate_typos[who] += 1
                assert look_up(session, _unknown(code, 50 + legitimate_typos[who]), who, LIMITS, (12, 8),
                               now=at).outcome == "unknown"
            result = look_up(session, code, who, LIMITS, (12, 8), now=at)
        assert (result.outcome, result.view.code if result.view else None) == ("found", code)
