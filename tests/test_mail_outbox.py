"""The outbox and its SMTP delivery against a real server on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mail.delivery import DeliveryPolicy, deliver_all_due, deliver_due
from mail.endpoint import SmtpEndpoint
from mail.message import Envelope, MailContent, new_message_id
from mail.outbox import RetryPolicy, backlog, enqueue, retry_failed
from mail.transport import SmtpTransport
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import OutboxMail
from tests.conftest import LINE_OPEN_AT
from tests.smtp_support import SmtpServer, free_port

FROM = "Contact Center 800 840 840 <noreply@protezionecivile.example>"
POLICY = DeliveryPolicy(envelope=Envelope(FROM), batch_size=5, lease=timedelta(minutes=5),
                        retry=RetryPolicy(first_delay=timedelta(seconds=30), max_delay=timedelta(minutes=10),
                                          give_up_after=timedelta(hours=2)))


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = LINE_OPEN_AT

    def __call__(self) -> Any:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    running = SmtpServer().start()
    yield running
    running.stop()


def connect_to(server: SmtpServer) -> Any:
    return lambda: SmtpTransport(SmtpEndpoint.parse(server.url), timeout=5)


def queue(sessions: sessionmaker[Session], count: int = 1, recipient: str = "mario.rossi@example.org",
          subject: str = "Richiesta 1234 5678 ricevuta") -> list[int]:
    ids = []
    with sessions.begin() as session:
        for index in range(count):
            mail = enqueue(session, MailContent(recipient, f"{subject} #{index}", f"Testo {index}\n",
                                                f"<p>Testo {index}</p>"),
                           kind="code", message_id=new_message_id("code.12345678", FROM), now=LINE_OPEN_AT)
            session.flush()
            ids.append(mail.id)
    return ids


def statuses(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(OutboxMail.status).order_by(OutboxMail.id)))


@pytest.mark.parametrize(("url", "expected"), [
    ("smtp://mail.example.org", SmtpEndpoint("mail.example.org", 25, "plain")),
    ("smtp+starttls://cc%40pc.it:p%3Ass@relay.example.org:587", SmtpEndpoint("relay.example.org", 587, "starttls",
                                                                             "cc@pc.it", "p:ss")),
    ("smtps://user:secret@[::1]", SmtpEndpoint("::1", 465, "tls", "user", "secret")),
])
def test_smtp_urls(url: str, expected: SmtpEndpoint) -> None:
    endpoint = SmtpEndpoint.parse(url)
    assert endpoint == expected
    assert "secret" not in endpoint.describe() and "secret" not in repr(endpoint)


@pytest.mark.parametrize("url", ["http://mail.example.org", "smtp://", "smtp://host/path", "smtp://host:99999",
                                 "smtp://:password@host"])
def test_bad_smtp_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        SmtpEndpoint.parse(url)


def test_a_mail_is_delivered_with_its_headers_and_both_alternatives(sessions, server: SmtpServer) -> None:
    queue(sessions)
    report = deliver_due(sessions, connect_to(server), Clock(), POLICY)
    assert (report.claimed, report.sent) == (1, 1)
    [received] = server.mailbox.received
    message = received.message
    assert received.mail_from == "noreply@protezionecivile.example"
    assert received.rcpt_tos == ["mario.rossi@example.org"]
    assert message["Subject"] == "Richiesta 1234 5678 ricevuta #0"
    assert message["From"] == FROM and message["To"] == "mario.rossi@example.org"
    assert message["Message-ID"].startswith("<code.12345678.") and message["Message-ID"].endswith(
        "@protezionecivile.example>")
    assert message["Date"].datetime == LINE_OPEN_AT
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    assert message.get_body(("plain",)).get_content().replace("\r\n", "\n") == "Testo 0\n"
    assert message.get_body(("html",)).get_content().strip() == "<p>Testo 0</p>"
    assert statuses(sessions) == ["sent"]
    with sessions() as session:
        assert backlog(session).waiting == 0


def test_a_server_that_is_down_loses_nothing_and_gets_every_mail_once_back(sessions) -> None:
    down = SmtpServer(port=free_port())
    clock = Clock()
    queue(sessions, 3)
    report = deliver_due(sessions, connect_to(down), clock, POLICY)
    assert (report.claimed, report.retried, report.sent) == (3, 3, 0)
    with sessions() as session:
        mails = list(session.scalars(select(OutboxMail)))
        assert {(mail.status, mail.attempts, mail.next_attempt_at) for mail in mails} == {
            ("pending", 1, LINE_OPEN_AT + timedelta(seconds=30))}
        assert all("ConnectionRefusedError" in (mail.last_error or "") for mail in mails)
        assert backlog(session).waiting == 3
    assert deliver_due(sessions, connect_to(down), clock, POLICY).claimed == 0  # not due before the backoff
    clock.advance(seconds=30)
    deliver_due(sessions, connect_to(down), clock, POLICY)
    with sessions() as session:
        assert {mail.next_attempt_at for mail in session.scalars(select(OutboxMail))} == {
            clock.now + timedelta(seconds=60)}  # the backoff doubles
    down.start()
    try:
        clock.advance(seconds=60)
        assert deliver_all_due(sessions, connect_to(down), clock, POLICY).sent == 3
        assert len(down.mailbox.received) == 3
        assert statuses(sessions) == ["sent"] * 3
    finally:
        down.stop()


@pytest.mark.parametrize("stage", ["rcpt", "data"])
def test_a_4xx_answer_postpones_the_mail(sessions, server: SmtpServer, stage: str) -> None:
    setattr(server.mailbox, f"{stage}_reply", "451 4.3.0 Riprova più tardi")
    clock = Clock()
    queue(sessions)
    report = deliver_due(sessions, connect_to(server), clock, POLICY)
    assert (report.retried, report.failed) == (1, 0)
    with sessions() as session:
        mail = session.scalars(select(OutboxMail)).one()
        assert (mail.status, mail.last_error) == ("pending", "451 4.3.0 Riprova più tardi")
    setattr(server.mailbox, f"{stage}_reply", "250 OK")
    clock.advance(minutes=1)
    assert deliver_due(sessions, connect_to(server), clock, POLICY).sent == 1
    assert len(server.mailbox.received) == 1


@pytest.mark.parametrize("stage", ["rcpt", "data"])
def test_a_5xx_answer_fails_the_mail_until_a_supervisor_retries_it(sessions, server: SmtpServer, stage: str) -> None:
    setattr(server.mailbox, f"{stage}_reply", "550 5.1.1 Utente sconosciuto")
    clock = Clock()
    first, _second = queue(sessions, 2)
    report = deliver_due(sessions, connect_to(server), clock, POLICY)
    assert (report.sent, report.failed) == (0, 2)
    with sessions() as session:
        mail = session.get(OutboxMail, first)
        assert (mail.status, mail.last_error, mail.failed_at) == ("failed", "550 5.1.1 Utente sconosciuto", clock.now)
        assert backlog(session).failed == 2
    clock.advance(hours=1)
    assert deliver_due(sessions, connect_to(server), clock, POLICY).claimed == 0
    setattr(server.mailbox, f"{stage}_reply", "250 OK")
    with sessions.begin() as session:
        assert retry_failed(session, first, now=clock.now)
    assert deliver_due(sessions, connect_to(server), clock, POLICY).sent == 1
    assert statuses(sessions) == ["sent", "failed"]


def test_temporary_failures_give_up_after_the_policy_s_time(sessions) -> None:
    down = SmtpServer(port=free_port())
    clock = Clock()
    queue(sessions)
    while statuses(sessions) != ["failed"]:
        deliver_due(sessions, connect_to(down), clock, POLICY)
        clock.advance(minutes=10)
        assert clock.now < LINE_OPEN_AT + timedelta(hours=3)
    with sessions() as session:
        mail = session.scalars(select(OutboxMail)).one()
        assert mail.failed_at is not None and mail.failed_at - mail.created_at >= timedelta(hours=2)
        assert "ConnectionRefusedError" in (mail.last_error or "")


def test_a_header_with_a_line_break_is_never_written(sessions, server: SmtpServer) -> None:
    queue(sessions, subject="Richiesta\r\nBcc: vittima@example.org")
    report = deliver_due(sessions, connect_to(server), Clock(), POLICY)
    assert report.failed == 1 and server.mailbox.received == []
    assert statuses(sessions) == ["failed"]


def test_concurrent_senders_send_each_mail_once(sessions, server: SmtpServer) -> None:
    queue(sessions, 40)
    clock = Clock()
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            deliver_all_due(sessions, connect_to(server), clock, POLICY)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    ids = [message["Message-ID"] for message in server.mailbox.messages()]
    assert len(ids) == 40 and len(set(ids)) == 40
    assert statuses(sessions) == ["sent"] * 40


def test_a_claim_whose_sender_died_is_taken_again_after_its_lease(sessions, server: SmtpServer) -> None:
    from mail.outbox import claim_due

    queue(sessions)
    clock = Clock()
    with sessions.begin() as session:
        _, claimed = claim_due(session, now=clock.now, lease=POLICY.lease, limit=5)
        assert len(claimed) == 1
    assert deliver_due(sessions, connect_to(server), clock, POLICY).claimed == 0
    clock.advance(minutes=6)
    assert deliver_due(sessions, connect_to(server), clock, POLICY).sent == 1
