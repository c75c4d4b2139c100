"""Outgoing mail in the running service: its setup from the configuration, and the sender thread.

Design: each process (a gunicorn worker, a `contact-center` command) that has `mail.smtp_url`
runs one daemon sender thread. It is woken as soon as a transaction that queued a mail commits,
and otherwise looks for due mails (retries) every `mail.poll_seconds`. Processes never send the
same mail twice at once: each pass claims its batch in the database under a token and a lease
(see mail.outbox). `contact-center mail send` runs the same pass by hand.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

import phonenumbers
from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from contact_center.config import Settings
from contact_center.durable import DATABASE_DOWN
from contact_center.runtime import Runtime, current_runtime
from mail.delivery import DeliveryPolicy, DeliveryReport, deliver_all_due
from mail.message import Envelope
from mail.outbox import ENQUEUED, RetryPolicy
from mail.transport import SmtpTransport, Transport
from written.mails import MailSetup
from written.notifications import install_status_notices

log = logging.getLogger(__name__)
EXTENSION: Final = "contact_center_mail"
# After a wake, wait this long before claiming: a burst of forms goes out over one SMTP connection.
LINGER_SECONDS: Final = 0.2


def line_number_text(settings: Settings) -> str:
    """The line's number as people write it: '800 840 840'."""
    number = phonenumbers.parse(settings.line.number, None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def mail_setup(settings: Settings, site_url: str | None = None) -> MailSetup | None:
    """What the channel's mails need, or None when no SMTP server is configured (nothing is sent)."""
    if not settings.mail.smtp_url:
        return None
    return MailSetup(from_address=settings.mail.from_address, line_name=settings.line.name,
                     line_number=line_number_text(settings),
                     site_url=settings.web.public_base_url or (site_url or ""),
                     zone=ZoneInfo(settings.line.timezone),
                     notify_status_changes=settings.mail.notify_status_changes)


def delivery_policy(settings: Settings) -> DeliveryPolicy:
    """Batch, lease and retries from `mail`; the lease outlasts a batch of timeouts."""
    config = settings.mail
    lease = timedelta(seconds=max(300, 3 * config.batch_size * config.timeout_seconds))
    retry = RetryPolicy(first_delay=timedelta(seconds=config.retry_first_seconds),
                        max_delay=timedelta(seconds=config.retry_max_seconds),
                        give_up_after=timedelta(hours=config.give_up_hours))
    return DeliveryPolicy(envelope=Envelope(config.from_address, config.reply_to or None),
                          batch_size=config.batch_size, lease=lease, retry=retry)


def connector(settings: Settings) -> Any:
    """A function opening an SMTP session to the configured server."""
    endpoint = settings.mail.endpoint
    if endpoint is None:
        raise RuntimeError("no SMTP server is configured (mail.smtp_url / SMTP_URL)")

    def connect() -> Transport:
        return SmtpTransport(endpoint, timeout=float(settings.mail.timeout_seconds),
                             ca_file=settings.mail.ca_file or None)
    return connect


def deliver_now(runtime: Runtime) -> DeliveryReport:
    """Send every mail that is due now (what the sender thread does on each pass)."""
    return deliver_all_due(runtime.sessions, connector(runtime.settings), runtime.clock,
                           delivery_policy(runtime.settings))


class MailSender:
    """The process's sender thread: one at a time (a lock guards its start, after a fork too)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.poll_seconds = runtime.settings.mail.poll_seconds
        self._lock = threading.Lock()
        self._wanted = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self.passes = 0

    def start(self) -> None:
        """Run the thread in this process (again after a fork), unless stopped."""
        with self._lock:
            alive = self._thread is not None and self._thread.is_alive() and self._pid == os.getpid()
            if alive or self._stopped.is_set():
                return
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="mail-sender", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """Look for due mails now (a transaction just queued one)."""
        self._wanted.set()
        self.start()

    def stop(self) -> None:
        """End the thread (tests, a process shutting down)."""
        self._stopped.set()
        self._wanted.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._stopped.wait(LINGER_SECONDS)
            self._wanted.clear()
            try:
                report = deliver_now(self.runtime)
                if report.claimed:
                    log.info("mail: %d sent, %d postponed, %d failed", report.sent, report.retried, report.failed)
            except DATABASE_DOWN as error:
                log.warning("mail: the database is unavailable (%s); the outbox waits", error.__class__.__name__)
            except Exception:  # keep the thread alive: mails stay in the outbox
                log.exception("mail: a delivery pass failed")
            self.passes += 1
            self._wanted.wait(self.poll_seconds)


def install(runtime: Runtime, sender: MailSender | None = None) -> None:
    """Status notices on every status change; with a sender, wake it when a transaction queued mail."""
    settings = runtime.settings
    install_status_notices(runtime.sessions, lambda: mail_setup(settings))
    if sender is None:
        return

    def after_commit(session: Session) -> None:
        if session.info.pop(ENQUEUED, False):
            sender.wake()

    event.listen(runtime.sessions, "after_commit", after_commit)


def init_app(app: Flask) -> None:
    """Install the hooks; with an SMTP server, start this process's sender thread (unless configured off)."""
    runtime = current_runtime(app)
    if runtime.settings.mail.endpoint is None:
        install(runtime)
        return
    sender = MailSender(runtime)
    app.extensions[EXTENSION] = sender
    background = runtime.settings.mail.background_sender
    install(runtime, sender if background else None)
    if background:
        sender.start()
        log.info("mail: sending through %s from %s", runtime.settings.mail.endpoint.describe(),
                 runtime.settings.mail.from_address)


def current_sender(app: Flask | None = None) -> MailSender | None:
    """The app's sender thread (None without an SMTP server)."""
    sender = (app or current_app).extensions.get(EXTENSION)
    return sender if isinstance(sender, MailSender) else None
