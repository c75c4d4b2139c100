"""Optional: the citizen hears by e-mail when a written request changes status.

Installed on the service's session factory, the hook sees every status change, whichever
surface made it (console, API, command line), and queues the notice in the same flush, so the
notice is committed with the change or not at all.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Final

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from storage.models import TicketStatusChange
from tickets.status import Channel, TicketStatus
from written.mails import MailSetup, queue_status_mail

WRITTEN_CHANNELS: Final = frozenset({Channel.WEB.value, Channel.EMAIL.value, Channel.FAX.value, Channel.LETTER.value})
QUIET: Final = "written_quiet"
_INSTALLED: Final[weakref.WeakSet[sessionmaker[Session]]] = weakref.WeakSet()


@contextmanager
def quietly(session: Session) -> Iterator[None]:
    """Status changes made inside the block send no notice (the caller tells the citizen itself)."""
    session.flush()
    session.info[QUIET] = session.info.get(QUIET, 0) + 1
    try:
        yield
        session.flush()
    finally:
        session.info[QUIET] -= 1


def _notices(setup: Callable[[], MailSetup | None]) -> Callable[[Session, Any, Any], None]:
    def before_flush(session: Session, _context: Any, _instances: Any) -> None:
        if session.info.get(QUIET):
            return
        changes = [item for item in session.new if isinstance(item, TicketStatusChange)
                   and item.from_status is not None and item.from_status != item.to_status]
        if not changes:
            return
        mail = setup()
        if mail is None or not mail.notify_status_changes:
            return
        for change in changes:
            ticket = change.ticket
            if ticket is None or not ticket.contact_email or ticket.channel not in WRITTEN_CHANNELS:
                continue
            queue_status_mail(session, mail, ticket, TicketStatus(change.to_status), change.forwarded_to,
                              now=change.changed_at, flush=False)
    return before_flush


def install_status_notices(sessions: sessionmaker[Session], setup: Callable[[], MailSetup | None]) -> None:
    """Queue a notice with every status change of a written request that has an address (when enabled)."""
    if sessions in _INSTALLED:
        return
    event.listen(sessions, "before_flush", _notices(setup))
    _INSTALLED.add(sessions)
