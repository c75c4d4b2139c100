"""Tickets in the database: codes, one ticket per call, validated status history."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import Ticket
from tests.conftest import LINE_OPEN_AT
from tickets.codes import is_valid_code
from tickets.repository import change_status, create_ticket, find_by_code
from tickets.status import Channel, InvalidTransition, TicketStatus, Topic


@pytest.fixture
def sessions(database_url: str):
    engine = make_engine(database_url)
    upgrade(engine)
    yield make_session_factory(engine)
    engine.dispose()


def test_a_new_ticket_has_a_valid_code_and_its_first_history_step(sessions) -> None:
    with sessions.begin() as session:
        ticket = create_ticket(session, channel=Channel.PHONE, topic=Topic.RISKS, summary="alluvione", now=LINE_OPEN_AT)
        code = ticket.code
    with sessions() as session:
        found = find_by_code(session, code)
        assert found is not None and is_valid_code(found.code, 12)
        assert (found.status, found.channel, found.topic) == ("received", "phone", "risks")
        assert [(step.from_status, step.to_status) for step in found.history] == [(None, "received")]


def test_one_ticket_per_call(sessions) -> None:
    with sessions.begin() as session:
        first = create_ticket(session, channel=Channel.VOICEMAIL, call_sid="CA1", now=LINE_OPEN_AT).code
    with sessions.begin() as session:
        assert create_ticket(session, channel=Channel.VOICEMAIL, call_sid="CA1", now=LINE_OPEN_AT).code == first
    with sessions() as session:
        assert len(session.scalars(select(Ticket)).all()) == 1


def test_invalid_codes_are_never_looked_up(sessions) -> None:
    with sessions.begin() as session:
        code = create_ticket(session, channel=Channel.WEB, now=LINE_OPEN_AT).code
    wrong_check = code[:-1] + str((int(code[-1]) + 1) % 10)
    with sessions() as session:
        assert find_by_code(session, wrong_check) is None
        assert find_by_code(session, code + "1") is None


def test_status_changes_are_validated_and_kept(sessions) -> None:
    with sessions.begin() as session:
        ticket = create_ticket(session, channel=Channel.EMAIL, now=LINE_OPEN_AT)
        change_status(session, ticket, TicketStatus.IN_PROGRESS, changed_by="mario", note="preso in carico",
                      now=LINE_OPEN_AT)
        change_status(session, ticket, TicketStatus.FORWARDED, changed_by="mario", forwarded_to="Regione Lazio",
                      now=LINE_OPEN_AT)
        with pytest.raises(InvalidTransition):
            change_status(session, ticket, TicketStatus.WAITING_FOR_CITIZEN, changed_by="mario", now=LINE_OPEN_AT)
        code = ticket.code
    with sessions() as session:
        ticket = find_by_code(session, code)
        assert (ticket.status, ticket.forwarded_to) == ("forwarded", "Regione Lazio")
        assert [step.to_status for step in ticket.history] == ["received", "in_progress", "forwarded"]
        assert ticket.history[1].note == "preso in carico"
