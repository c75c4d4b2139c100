"""The callback list as a work queue: order, dedupe, atomic claims, timeouts, retries, outcomes."""

from __future__ import annotations

import itertools
import multiprocessing
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import CallbackAttempt, CallbackMessage, CallbackRequest, Ticket
from tickets.status import TicketStatus
from voicemail.callbacks import open_callback_request
from voicemail.listing import entry_details, list_entries
from voicemail.queue import CallbackError, CallbackPolicy, claim_next, record_outcome

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
POLICY = CallbackPolicy(retry_delays=(timedelta(minutes=15), timedelta(hours=1)), max_attempts=3,
                        claim_timeout=timedelta(minutes=30))
CALL_NUMBERS = itertools.count()
MOBILE = "+393471234567"
OTHER = "+393339876543"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url, pool_size=25) if "postgresql" in database_url else make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


def leave(sessions: sessionmaker[Session], call: str, number: str | None, reason: str = "chosen",
          created_at: datetime | None = None) -> int:
    """A message left by call `call`; the id of the entry it landed on."""
    with sessions.begin() as session:
        message = open_callback_request(session, f"CA{call:0>32}", number, "caller_id" if number else "none", reason,
                                        now=created_at or NOW)
        assert message.entry_id is not None
        return message.entry_id


def claim(sessions: sessionmaker[Session], operator: str, now: datetime = NOW) -> int | None:
    with sessions.begin() as session:
        entry = claim_next(session, operator, POLICY, now)
        return entry.id if entry else None


def outcome(sessions: sessionmaker[Session], entry_id: int, result: str, now: datetime = NOW,
            **options: object) -> CallbackRequest:
    with sessions.begin() as session:
        return record_outcome(session, entry_id, result, POLICY, now=now, **options)  # type: ignore[arg-type]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(left_at=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2199, 12, 31), timezones=st.just(UTC)))
def test_a_message_is_due_from_the_instant_it_was_left_whatever_the_date(sessions, left_at: datetime) -> None:
    """The entry's times come from the instant given, never from the machine's clock (any year)."""
    with sessions.begin() as session:
        session.query(CallbackAttempt).delete()
        session.query(CallbackRequest).update({"status": "done"})
    entry_id = leave(sessions, f"9{next(CALL_NUMBERS)}", "+393471000099", "closed", left_at)
    with sessions.begin() as session:
        assert [entry.id for entry in list_entries(session, POLICY, "pending", 5, now=left_at)] == [entry_id]
        assert claim_next(session, "anna", POLICY, left_at - timedelta(seconds=1)) is None
        claimed = claim_next(session, "anna", POLICY, left_at)
        assert claimed is not None and claimed.id == entry_id
        assert (claimed.created_at, claimed.claimed_at) == (left_at, left_at)


def test_the_list_and_the_claims_go_due_first_then_reason_priority_then_oldest(sessions) -> None:
    chosen_old = leave(sessions, "1", "+393471000001", "chosen", NOW - timedelta(hours=5))
    busy_new = leave(sessions, "2", "+393471000002", "all_busy", NOW - timedelta(hours=1))
    busy_old = leave(sessions, "3", "+393471000003", "all_busy", NOW - timedelta(hours=2))
    error = leave(sessions, "4", "+393471000004", "error", NOW - timedelta(minutes=5))
    later = leave(sessions, "5", "+393471000005", "error", NOW - timedelta(hours=9))
    with sessions.begin() as session:
        session.get(CallbackRequest, later).next_attempt_at = NOW + timedelta(minutes=10)
    with sessions.begin() as session:
        listed = [entry.id for entry in list_entries(session, POLICY, "open", 50, now=NOW)]
    assert listed == [error, busy_old, busy_new, chosen_old, later]
    claimed = [claim(sessions, f"op{index}") for index in range(5)]
    assert claimed == [error, busy_old, busy_new, chosen_old, None]
    assert claim(sessions, "late", NOW + timedelta(minutes=11)) == later


def test_a_new_message_from_a_pending_number_joins_its_entry(sessions) -> None:
    first = leave(sessions, "1", MOBILE, "chosen", NOW - timedelta(hours=3))
    assert leave(sessions, "2", MOBILE, "all_busy") == first
    assert leave(sessions, "3", OTHER) != first
    assert leave(sessions, "4", None) != leave(sessions, "5", None)
    with sessions() as session:
        entry = session.get(CallbackRequest, first)
        messages = session.scalars(select(CallbackMessage).where(CallbackMessage.entry_id == first)).all()
        tickets = {m.ticket_id for m in messages}
    assert (entry.message_count, entry.reason, entry.created_at) == (2, "all_busy", NOW - timedelta(hours=3))
    assert len(messages) == 2 and len(tickets) == 2


def test_a_number_whose_entry_is_claimed_or_closed_gets_a_new_entry(sessions) -> None:
    first = leave(sessions, "1", MOBILE)
    assert claim(sessions, "anna") == first
    second = leave(sessions, "2", MOBILE)
    assert second != first
    outcome(sessions, first, "reached")
    assert leave(sessions, "3", MOBILE) == second


def test_a_join_makes_a_scheduled_retry_due_now(sessions) -> None:
    first = leave(sessions, "1", MOBILE, created_at=NOW - timedelta(hours=1))
    claim(sessions, "anna")
    outcome(sessions, first, "no_answer", now=NOW - timedelta(minutes=1))
    assert claim(sessions, "marco") is None
    assert leave(sessions, "2", MOBILE) == first
    assert claim(sessions, "marco", NOW + timedelta(seconds=1)) == first


def test_concurrent_messages_from_one_number_make_one_entry(sessions) -> None:
    errors: list[BaseException] = []

    def call(index: int) -> None:
        try:
            leave(sessions, str(index), MOBILE)
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=call, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with sessions() as session:
        [entry] = session.scalars(select(CallbackRequest)).all()
    assert entry.message_count == 8


def test_no_answer_and_busy_retry_after_the_configured_delays_then_unreachable(sessions) -> None:
    entry_id = leave(sessions, "1", MOBILE, created_at=NOW - timedelta(hours=1))
    assert claim(sessions, "anna") == entry_id
    entry = outcome(sessions, entry_id, "no_answer", note="segreteria")
    assert (entry.status, entry.next_attempt_at, entry.claimed_by) == ("pending", NOW + timedelta(minutes=15), None)
    assert claim(sessions, "anna", NOW + timedelta(minutes=14)) is None
    second_try = NOW + timedelta(minutes=15)
    assert claim(sessions, "marco", second_try) == entry_id
    entry = outcome(sessions, entry_id, "busy", now=second_try)
    assert entry.next_attempt_at == second_try + timedelta(hours=1)
    third_try = second_try + timedelta(hours=1)
    assert claim(sessions, "anna", third_try) == entry_id
    entry = outcome(sessions, entry_id, "no_answer", now=third_try)
    assert (entry.status, entry.attempt_count, entry.closed_at) == ("unreachable", 3, third_try)
    with sessions() as session:
        attempts = session.scalars(select(CallbackAttempt).order_by(CallbackAttempt.id)).all()
    assert [(a.operator, a.outcome, a.note) for a in attempts] == [
        ("anna", "no_answer", "segreteria"), ("marco", "busy", None), ("anna", "no_answer", None)]


def test_reached_closes_the_entry_and_can_move_every_ticket_of_it(sessions) -> None:
    entry_id = leave(sessions, "1", MOBILE)
    leave(sessions, "2", MOBILE)
    claim(sessions, "anna")
    entry = outcome(sessions, entry_id, "reached", note="informazioni date", ticket_status=TicketStatus.CLOSED)
    assert (entry.status, entry.closed_at) == ("done", NOW)
    with sessions() as session:
        tickets = session.scalars(select(Ticket)).all()
        assert [t.status for t in tickets] == ["closed", "closed"]
        assert [(c.changed_by, c.note) for c in tickets[0].history][-1] == ("anna", "informazioni date")


def test_wrong_number_makes_the_entry_unreachable_at_once(sessions) -> None:
    entry_id = leave(sessions, "1", MOBILE)
    claim(sessions, "anna")
    assert outcome(sessions, entry_id, "wrong_number").status == "unreachable"


@pytest.mark.parametrize(("setup", "operator", "message"), [
    ("closed", None, "è già chiusa"),
    ("claimed", "marco", "è assegnata a anna"),
    ("pending", None, "non è assegnata"),
    ("missing", None, "non esiste"),
])
def test_outcomes_that_cannot_be_recorded_say_why_and_change_nothing(
        sessions, setup: str, operator: str | None, message: str) -> None:
    entry_id = leave(sessions, "1", MOBILE)
    if setup in {"closed", "claimed"}:
        claim(sessions, "anna")
    if setup == "closed":
        outcome(sessions, entry_id, "reached")
    target = entry_id + 1000 if setup == "missing" else entry_id
    with pytest.raises(CallbackError, match=message):
        outcome(sessions, target, "busy", operator=operator)
    with sessions() as session:
        assert len(session.scalars(select(CallbackAttempt)).all()) == (1 if setup == "closed" else 0)


def test_a_ticket_status_the_rules_refuse_rolls_the_outcome_back(sessions) -> None:
    entry_id = leave(sessions, "1", MOBILE)
    claim(sessions, "anna")
    with pytest.raises(CallbackError, match="indica l'ente competente"):
        outcome(sessions, entry_id, "reached", ticket_status=TicketStatus.FORWARDED)
    with sessions() as session:
        details = entry_details(session, entry_id)
    assert (details.status, details.attempt_count, details.attempts) == ("claimed", 0, ())
    outcome(sessions, entry_id, "reached", ticket_status=TicketStatus.FORWARDED, forwarded_to="Regione Lazio")
    with sessions() as session:
        ticket = session.scalars(select(Ticket)).one()
        assert (ticket.status, ticket.forwarded_to) == ("forwarded", "Regione Lazio")


def test_an_unfinished_claim_returns_to_the_list_after_the_timeout(sessions) -> None:
    entry_id = leave(sessions, "1", MOBILE, created_at=NOW - timedelta(hours=1))
    assert claim(sessions, "anna") == entry_id
    assert claim(sessions, "marco", NOW + timedelta(minutes=29)) is None
    with sessions.begin() as session:
        [listed] = list_entries(session, POLICY, "open", 10, now=NOW + timedelta(minutes=31))
    assert (listed.status, listed.claimed_by) == ("pending", None)
    assert claim(sessions, "marco", NOW + timedelta(minutes=31)) == entry_id


def add_pending(sessions: sessionmaker[Session], count: int) -> set[int]:
    """`count` due entries, inserted in bulk."""
    with sessions.begin() as session:
        entries = [CallbackRequest(callback_number=f"+39347{index:07d}", reason="chosen", priority=5,
                                   status="pending", message_count=1, next_attempt_at=NOW - timedelta(minutes=1),
                                   attempt_count=0, created_at=NOW - timedelta(seconds=index))
                   for index in range(count)]
        session.add_all(entries)
        session.flush()
        return {entry.id for entry in entries}


def test_twenty_operators_claiming_a_thousand_entries_never_share_one(sessions) -> None:
    expected = add_pending(sessions, 1000)
    claimed: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def operator(name: str) -> None:
        try:
            while (entry_id := claim(sessions, name)) is not None:
                with lock:
                    claimed.append(entry_id)
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=operator, args=(f"op{index}",)) for index in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(claimed) == len(set(claimed)) == 1000
    assert set(claimed) == expected
    with sessions() as session:
        owners = Counter(session.scalars(select(CallbackRequest.claimed_by)).all())
    assert sum(owners.values()) == 1000 and None not in owners


def _claim_in_process(database_url: str, name: str, results: multiprocessing.Queue) -> None:
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    claimed = []
    while (entry_id := claim(sessions, name)) is not None:
        claimed.append(entry_id)
    engine.dispose()
    results.put(claimed)


@pytest.mark.slow
def test_claims_from_several_processes_never_share_one_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'queue.db'}"
    engine = make_engine(url)
    upgrade(engine)
    expected = add_pending(make_session_factory(engine), 300)
    engine.dispose()
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue = context.Queue()
    processes = [context.Process(target=_claim_in_process, args=(url, f"op{index}", results)) for index in range(4)]
    for process in processes:
        process.start()
    claimed = [entry_id for _ in processes for entry_id in results.get(timeout=120)]
    for process in processes:
        process.join(timeout=30)
    assert [process.exitcode for process in processes] == [0, 0, 0, 0]
    assert len(claimed) == len(set(claimed)) == 300 and set(claimed) == expected
