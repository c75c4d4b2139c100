"""Looking a request up by code: validation before any query, failures stored and limited, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import LookupFailure
from tickets.codes import damm_check_digit
from tickets.lookups import (
    Requester,
    caller_key,
    check_limits,
    look_up,
    lookup_session,
    recent_failures,
    status_view,
)
from tickets.ratelimit import LookupLimits
from tickets.repository import change_status, create_ticket, find_by_code
from tickets.status import Channel, TicketStatus

LIMITS = LookupLimits(per_caller=3, per_caller_window_s=3600, global_=5, global_window_s=600)
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
SECRET = "test-secret"
ALICE = Requester.phone("+393471234567", SECRET)
BOB = Requester.phone("+393489876543", SECRET)


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield make_session_factory(engine)
    engine.dispose()


def _new_code(sessions: sessionmaker[Session]) -> str:
    with sessions.begin() as session:
        return create_ticket(session, channel=Channel.PHONE, phone="+393331112222", summary="privato", now=NOW).code


def _unknown(code: str) -> str:
    body = ("9" if code[0] != "9" else "8") + code[1:-1]
    return body + damm_check_digit(body)


def _look(sessions: sessionmaker[Session], raw: str, who: Requester = ALICE, at: datetime = NOW,
          limits: LookupLimits = LIMITS):
    with sessions.begin() as session:
        return look_up(session, raw, who, limits, (12, 8), now=at)


def _look_counting(sessions: sessionmaker[Session], raw: str) -> tuple[Any, list[str]]:
    """`_look`, and the statements it sent."""
    statements: list[str] = []
    engine = sessions.kw["bind"]
    listener = lambda *args: statements.append(args[2])  # noqa: E731 - (conn, cursor, statement, ...)
    event.listen(engine, "before_cursor_execute", listener)
    try:
        return _look(sessions, raw), statements
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def _failures(sessions: sessionmaker[Session]) -> list[LookupFailure]:
    with sessions() as session:
        return list(session.scalars(select(LookupFailure).order_by(LookupFailure.id)))


def test_a_found_code_gives_only_the_public_view(sessions) -> None:
    code = _new_code(sessions)
    with sessions.begin() as session:
        ticket = find_by_code(session, code)
        change_status(session, ticket, TicketStatus.FORWARDED, changed_by="op", forwarded_to="Regione Lazio", now=NOW)
    result = _look(sessions, f" {code[:4]} {code[4:]}#")
    assert result.outcome == "found"
    assert result.view.code == code
    assert (result.view.status, result.view.forwarded_to) == (TicketStatus.FORWARDED, "Regione Lazio")
    assert set(vars(result.view)) == {"code", "status", "forwarded_to", "updated_at"}
    assert _failures(sessions) == []


def test_a_found_code_is_counted_looked_up_and_forgotten_in_three_statements_on_postgresql(sessions) -> None:
    """The attempt stored, the requester's attempts counted, then the view read and the attempt
    forgotten: one statement on PostgreSQL, two on SQLite. A found code is no failure either way."""
    code = _new_code(sessions)
    result, statements = _look_counting(sessions, code)
    assert (result.outcome, result.view.code) == ("found", code)
    assert result.view.updated_at.tzinfo is not None
    assert _failures(sessions) == []
    assert len(statements) == (3 if sessions.kw["bind"].dialect.name == "postgresql" else 4), statements


def test_a_wrong_check_digit_never_reaches_the_tickets_table(sessions) -> None:
    code = _new_code(sessions)
    wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
    result, statements = _look_counting(sessions, wrong)
    assert result.outcome == "invalid"
    assert not any("FROM tickets" in statement for statement in statements)
    assert [(f.reason, f.channel) for f in _failures(sessions)] == [("invalid", "ivr")]


def test_an_unknown_code_is_a_stored_failure_with_a_hashed_caller(sessions) -> None:
    code = _new_code(sessions)
    assert _look(sessions, _unknown(code)).outcome == "unknown"
    (failure,) = _failures(sessions)
    assert failure.reason == "unknown"
    assert failure.caller_key == caller_key("tel:+393471234567", SECRET) == ALICE.key
    assert "3471234567" not in failure.caller_key


def test_the_per_caller_limit_refuses_that_caller_only(sessions) -> None:
    code = _new_code(sessions)
    for minute in range(LIMITS.per_caller):
        assert _look(sessions, "123", at=NOW + timedelta(minutes=minute)).outcome == "invalid"
    refused = _look(sessions, code, at=NOW + timedelta(minutes=10))
    assert (refused.outcome, refused.refused_by) == ("refused", "caller")
    assert refused.retry_after_s == 3600 - 10 * 60 + 1
    assert len(_failures(sessions)) == LIMITS.per_caller
    assert _look(sessions, code, who=BOB, at=NOW + timedelta(minutes=10)).outcome == "found"


def test_the_per_caller_window_slides(sessions) -> None:
    code = _new_code(sessions)
    for _ in range(LIMITS.per_caller):
        _look(sessions, _unknown(code))
    assert _look(sessions, code, at=NOW + timedelta(seconds=3599)).outcome == "refused"
    assert _look(sessions, code, at=NOW + timedelta(seconds=3601)).outcome == "found"


def test_strangers_filling_the_global_figure_refuse_nobody_and_raise_the_alert(sessions) -> None:
    """The probe: 110 addresses x 10 unknown codes used to refuse a real code from a fresh address."""
    code = _new_code(sessions)
    strangers = [Requester.web(f"203.0.113.{n}", SECRET) for n in range(2 * LIMITS.global_)]
    results = [_look(sessions, _unknown(code), who=stranger) for stranger in strangers]
    assert {result.outcome for result in results} == {"unknown"}
    assert results[-1].alert and not results[0].alert
    newcomer = Requester.web("198.51.100.7", SECRET)
    found = _look(sessions, code, who=newcomer, at=NOW + timedelta(seconds=30))
    assert (found.outcome, found.view.code) == ("found", code)
    assert _look(sessions, code, who=Requester.phone(None, SECRET, "CA-fresh")).outcome == "found"


def test_withheld_callers_are_counted_per_call_and_phone_and_web_keys_differ() -> None:
    assert Requester.phone(None, SECRET, "CA1") == Requester.phone(None, SECRET, "CA1")
    assert Requester.phone(None, SECRET, "CA1").key != Requester.phone(None, SECRET, "CA2").key
    assert Requester.phone(None, SECRET, "CA1").key != ALICE.key
    assert Requester.web("+393471234567", SECRET).key != ALICE.key
    assert Requester.phone("+393471234567", "another secret").key != ALICE.key


def test_one_withheld_caller_does_not_lock_out_the_others(sessions) -> None:
    code = _new_code(sessions)
    hostile = Requester.phone(None, SECRET, "CA-hostile")
    for _ in range(LIMITS.per_caller + 2):
        _look(sessions, _unknown(code), who=hostile)
    assert _look(sessions, code, who=hostile).outcome == "refused"
    assert _look(sessions, code, who=Requester.phone(None, SECRET, "CA-other")).outcome == "found"


def test_an_ipv6_client_is_counted_by_its_64(sessions) -> None:
    code = _new_code(sessions)
    for n in range(LIMITS.per_caller):
        neighbour = Requester.web(f"2001:db8:1:2::{n + 1:x}", SECRET)
        assert _look(sessions, _unknown(code), who=neighbour).outcome == "unknown"
    assert _look(sessions, code, who=Requester.web("2001:db8:1:2:ffff::9", SECRET)).outcome == "refused"
    assert _look(sessions, code, who=Requester.web("2001:db8:1:3::1", SECRET)).outcome == "found"
    assert Requester.web("::ffff:192.0.2.1", SECRET) == Requester.web("192.0.2.1", SECRET)


def test_an_empty_key_never_hashes_a_number() -> None:
    with pytest.raises(ValueError, match="empty key"):
        Requester.phone("+393471234567", "")


def test_failures_older_than_every_window_are_purged(sessions) -> None:
    code = _new_code(sessions)
    for minute in range(3):
        _look(sessions, _unknown(code), who=Requester.phone(f"+39347111000{minute}", SECRET),
              at=NOW + timedelta(minutes=minute))
    _look(sessions, _unknown(code), who=BOB, at=NOW + timedelta(hours=2))
    assert [failure.caller_key for failure in _failures(sessions)] == [BOB.key]


def test_check_limits_counts_only_the_requesters_own_failures(sessions) -> None:
    with sessions.begin() as session:
        session.add_all(LookupFailure(at=NOW, caller_key=ALICE.key, channel="ivr", reason="unknown")
                        for _ in range(20))
    with sessions() as session:
        refusal = check_limits(session, ALICE.key, LIMITS, NOW)
        assert refusal is not None and refusal.refused_by == "caller"
        assert session.scalar(select(func.count()).select_from(LookupFailure)) == 20
        assert check_limits(session, BOB.key, LookupLimits(3, 60, 5, 60), NOW) is None


def test_recent_failures_are_everybodys_in_the_global_window_only(sessions) -> None:
    window = timedelta(seconds=LIMITS.global_window_s)
    with sessions.begin() as session:
        session.add_all(LookupFailure(at=at, caller_key=who.key, channel="ivr", reason="unknown")
                        for at, who in [(NOW, ALICE), (NOW - window + timedelta(seconds=1), BOB),
                                        (NOW - window, ALICE), (NOW - window - timedelta(seconds=1), BOB)])
    with sessions() as session:
        assert recent_failures(session, LIMITS, NOW) == 3  # the window's first instant is in it
        assert recent_failures(session, LIMITS, NOW + window) == 1


def test_concurrent_guesses_never_pass_the_allowance(database_url: str) -> None:
    """The probe: 40 concurrent requests used to get 12 answers before the first refusal."""
    engine = make_engine(database_url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    code = _new_code(sessions)
    hostile = Requester.web("203.0.113.66", SECRET)

    def guess(_: int) -> str:
        with lookup_session(sessions) as session:
            return look_up(session, _unknown(code), hostile, LIMITS, (12, 8), now=NOW).outcome

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(guess, range(40)))
    # Never past the allowance; attempts racing with ones about to be refused may be refused too.
    assert 1 <= outcomes.count("unknown") <= LIMITS.per_caller
    assert outcomes.count("refused") == 40 - outcomes.count("unknown")
    engine.dispose()


def test_status_view_of_an_unknown_code_is_none(sessions) -> None:
    code = _new_code(sessions)
    with sessions() as session:
        assert status_view(session, _unknown(code)) is None
        assert status_view(session, code).code == code


def test_a_lookup_session_keeps_failures_and_hands_back_a_transactional_connection(database_url: str) -> None:
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    upgrade(engine)
    sessions = make_session_factory(engine)
    code = _new_code(sessions)
    with lookup_session(sessions) as session:
        assert look_up(session, _unknown(code), ALICE, LIMITS, (12, 8), now=NOW).outcome == "unknown"
        assert look_up(session, code, ALICE, LIMITS, (12, 8), now=NOW).view.code == code
    assert [failure.reason for failure in _failures(sessions)] == ["unknown"]
    with sessions() as session:
        session.add(LookupFailure(at=NOW, caller_key=BOB.key, channel="web", reason="invalid"))
        session.flush()
        session.rollback()
    assert [failure.caller_key for failure in _failures(sessions)] == [ALICE.key]
    engine.dispose()
