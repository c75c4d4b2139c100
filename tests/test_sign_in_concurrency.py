"""Concurrent sign-in attempts are checked and counted one by one (SQLite and PostgreSQL).

Many threads try wrong passwords at the same instant: every attempt that was checked is stored
as a failure, none passes the free allowance, and the delay grows after each further failure.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from access.accounts import Role, add_account, sign_in
from access.throttle import ThrottlePolicy, address_block, delay_after
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import SignInFailure
from tests.conftest import LINE_OPEN_AT

PASSWORD = "una password lunga"
POLICY = ThrottlePolicy(per_account_address=3, per_address=6, max_delay=timedelta(minutes=10))
STRANGER = "203.0.113.99"
THREADS = 16


@pytest.fixture
def sessions(database_url: str):
    engine = make_engine(database_url, pool_size=THREADS, max_overflow=4) if database_url.startswith(
        "postgres") else make_engine(database_url)
    upgrade(engine)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        add_account(session, "Maria Rossi", Role.OPERATOR, PASSWORD, min_password_length=12, now=LINE_OPEN_AT)
    yield factory
    engine.dispose()


def _all_at_once(sessions, attempts: list[tuple[str, str, str]], at) -> Counter[str]:
    """Run every (name, password, address) attempt in its own thread and transaction, released together."""
    start = threading.Barrier(len(attempts))
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def attempt(name: str, password: str, address: str) -> None:
        try:
            start.wait()
            with sessions.begin() as session:
                outcomes.append(sign_in(session, name, password, address, POLICY, at).outcome)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=attempt, args=args) for args in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(outcomes) == len(attempts)
    return Counter(outcomes)


def _failures(sessions, address: str) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(SignInFailure)
                              .where(SignInFailure.address == address_block(address))) or 0


def test_concurrent_attempts_at_one_name_never_pass_the_free_allowance(sessions) -> None:
    attempts = [("Maria Rossi", f"sbagliata {n}", STRANGER) for n in range(THREADS)]
    outcomes = _all_at_once(sessions, attempts, LINE_OPEN_AT)
    assert outcomes == Counter({"wrong": POLICY.per_account_address,
                                "throttled": THREADS - POLICY.per_account_address})
    assert _failures(sessions, STRANGER) == POLICY.per_account_address
    # The delay then grows with each further failure: 2 s, then 4 s, then 8 s.
    at = LINE_OPEN_AT
    for failures in range(POLICY.per_account_address, POLICY.per_account_address + 3):
        delay = delay_after(failures, POLICY.per_account_address, POLICY.max_delay)
        early = _all_at_once(sessions, [("Maria Rossi", "ancora sbagliata", STRANGER)] * 4,
                             at + delay - timedelta(seconds=1))
        assert early == Counter({"throttled": 4})
        at += delay
        on_time = _all_at_once(sessions, [("Maria Rossi", "ancora sbagliata", STRANGER)] * 4, at)
        assert on_time == Counter({"wrong": 1, "throttled": 3})
        assert _failures(sessions, STRANGER) == failures + 1
    assert delay_after(POLICY.per_account_address + 2, POLICY.per_account_address, POLICY.max_delay) == \
        timedelta(seconds=8)


def test_concurrent_attempts_at_many_names_from_one_address_stop_at_its_allowance(sessions) -> None:
    attempts = [(f"Nome {n}", "sbagliata", STRANGER) for n in range(THREADS)]
    outcomes = _all_at_once(sessions, attempts, LINE_OPEN_AT)
    assert outcomes == Counter({"wrong": POLICY.per_address, "throttled": THREADS - POLICY.per_address})
    assert _failures(sessions, STRANGER) == POLICY.per_address


def test_concurrent_attempts_from_many_addresses_are_each_counted(sessions) -> None:
    addresses = [f"198.51.100.{n}" for n in range(THREADS)]
    outcomes = _all_at_once(sessions, [("Maria Rossi", "sbagliata", address) for address in addresses],
                            LINE_OPEN_AT)
    assert outcomes == Counter({"wrong": THREADS})
    assert sum(_failures(sessions, address) for address in addresses) == THREADS
    # Meanwhile the operator, at her own address, signs in at once.
    assert _all_at_once(sessions, [("Maria Rossi", PASSWORD, "192.0.2.10")], LINE_OPEN_AT) == Counter({"ok": 1})
