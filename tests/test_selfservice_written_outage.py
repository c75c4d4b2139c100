"""The SMTP server is down while citizens write: every ticket is made, and every code is mailed once it is back."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from contact_center.outgoing_mail import MailSender, current_sender
from storage.models import OutboxMail, Ticket
from tests.conftest import LINE_OPEN_AT
from tests.smtp_support import SmtpServer, free_port
from tests.written_support import close_app, mail_app, shown_code, submit

SUBMISSIONS = 100


def test_a_hundred_requests_while_the_server_is_down_make_a_hundred_mails_once_it_is_back(
        database_url: str, tmp_path: Path) -> None:
    server = SmtpServer(port=free_port())  # not started: the server is down
    app = mail_app(database_url, tmp_path, server.url, background=True,
                   mail={"poll_seconds": 0.2}, written={"address_limit": 1000, "recipient_mail_limit": 1000})
    runtime = app.extensions["contact_center"]
    instant = [LINE_OPEN_AT]
    runtime.clock = lambda: instant[0]
    others = [MailSender(runtime) for _ in range(2)]  # two more workers' threads on the same outbox
    for sender in others:
        sender.start()
    try:
        client = app.test_client()
        codes = []
        for index in range(SUBMISSIONS):
            response = submit(client, address=f"198.51.100.{index % 250}", email=f"cittadino{index}@example.org")
            assert response.status_code == 200
            codes.append(shown_code(response.get_data(as_text=True)))
        with runtime.sessions() as session:
            assert len(session.scalars(select(Ticket.id)).all()) == SUBMISSIONS
        deadline = time.monotonic() + 30
        # Wait until every sender tried, found the server down and postponed, and none still holds a
        # claim: on this frozen clock a retry postponed after the server is back would never be due.
        while time.monotonic() < deadline:
            with runtime.sessions() as session:
                tried = session.execute(select(OutboxMail.attempts, OutboxMail.status)).all()
            if (len(tried) == SUBMISSIONS and min(attempts for attempts, _ in tried) >= 1
                    and {status for _, status in tried} == {"pending"}):
                break
            time.sleep(0.1)
        health = client.get("/healthz").get_json()
        assert (health["mail_backlog"], health["mail_failed"]) == (SUBMISSIONS, 0)
        assert server.mailbox.received == []

        server.start()
        instant[0] += timedelta(minutes=5)  # past the first backoff (30 s), within the claims' lease (10 min)
        for sender in (current_sender(app), *others):
            sender.wake()
        messages = server.mailbox.wait_for(SUBMISSIONS, seconds=60)
        time.sleep(1)  # anything sent twice would arrive now
        messages = server.mailbox.messages()
        assert len(messages) == SUBMISSIONS
        assert len({message["Message-ID"] for message in messages}) == SUBMISSIONS
        mailed = sorted(re.sub(r"\D", "", message["Subject"].split(" ricevuta")[0]) for message in messages)
        assert mailed == sorted(codes)
        with runtime.sessions() as session:
            assert set(session.scalars(select(OutboxMail.status))) == {"sent"}
        assert client.get("/healthz").get_json()["mail_backlog"] == 0
    finally:
        for sender in others:
            sender.stop()
        close_app(app)
        server.stop()
