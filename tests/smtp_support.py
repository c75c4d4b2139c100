"""A real SMTP server on loopback for the tests (aiosmtpd): it accepts, refuses (4xx, 5xx) or is down."""

from __future__ import annotations

import email
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Received:
    """One message the server accepted: envelope and parsed message."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes


@dataclass
class Mailbox:
    """What the server does with RCPT and DATA ('250', or a refusal such as '451 4.3.0 Try later'), and what it got."""

    rcpt_reply: str = "250 OK"
    data_reply: str = "250 OK: queued"
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: Any) -> str:
        if not self.rcpt_reply.startswith("250"):
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if not self.data_reply.startswith("250"):
            return self.data_reply
        raw = envelope.original_content or envelope.content
        parsed = email.message_from_bytes(raw, policy=default)
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed, raw))  # type: ignore[arg-type]
        return self.data_reply

    def messages(self) -> list[EmailMessage]:
        """Every accepted message, in order."""
        with self.lock:
            return [item.message for item in self.received]

    def wait_for(self, count: int, seconds: float = 15) -> list[EmailMessage]:
        """Wait until at least `count` messages arrived (AssertionError after `seconds`)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = self.messages()
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"expected {count} messages, the server received {len(self.messages())}")


class SmtpServer:
    """An aiosmtpd server on 127.0.0.1:`port` that can be started and stopped again on the same port."""

    def __init__(self, port: int | None = None, mailbox: Mailbox | None = None) -> None:
        self.port = port or free_port()
        self.mailbox = mailbox or Mailbox()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        """The smtp:// URL of this server."""
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpServer:
        """Listen (the mailbox keeps what earlier runs received)."""
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port, decode_data=False,
                                      enable_SMTPUTF8=True)
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening: the server is down."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@contextmanager
def smtp_server(mailbox: Mailbox | None = None) -> Iterator[SmtpServer]:
    """A running server for the block."""
    server = SmtpServer(mailbox=mailbox).start()
    try:
        yield server
    finally:
        server.stop()
