"""Tickets as plain data for the JSON API and the CLI: the full record, and the public status."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from storage.models import Ticket, TicketStatusChange
from tickets.lookups import StatusView
from tickets.status import Channel, TicketStatus, Topic
from tickets.vocabulary import label, status_sentence, written_date


def _local(moment: datetime, zone: tzinfo) -> str:
    """An instant in the line's time zone, ISO 8601 with its offset, to the second."""
    return moment.astimezone(zone).isoformat(timespec="seconds")


def history_record(change: TicketStatusChange, zone: tzinfo) -> dict[str, Any]:
    """One status change: when, who, from, to, the institution when forwarded, the note."""
    return {
        "at": _local(change.changed_at, zone),
        "by": change.changed_by,
        "from": change.from_status,
        "to": change.to_status,
        "forwarded_to": change.forwarded_to,
        "note": change.note,
    }


def ticket_record(ticket: Ticket, zone: tzinfo) -> dict[str, Any]:
    """Everything about a ticket, for operators and integrators (contact details included)."""
    return {
        "code": ticket.code,
        "channel": ticket.channel,
        "channel_label": label(Channel(ticket.channel)),
        "topic": ticket.topic,
        "topic_label": label(Topic(ticket.topic)),
        "status": ticket.status,
        "status_label": label(TicketStatus(ticket.status)),
        "forwarded_to": ticket.forwarded_to,
        "phone": ticket.contact_phone,
        "email": ticket.contact_email,
        "summary": ticket.summary,
        "call_sid": ticket.call_sid,
        "created_at": _local(ticket.created_at, zone),
        "status_changed_at": _local(ticket.status_changed_at, zone),
        "history": [history_record(change, zone) for change in ticket.history],
    }


def status_record(view: StatusView, zone: tzinfo) -> dict[str, Any]:
    """What anyone holding the code may see: the status, its sentence and date; nothing personal."""
    return {
        "code": view.code,
        "status": view.status.value,
        "status_label": label(view.status),
        "status_sentence": status_sentence(view.status, view.forwarded_to),
        "forwarded_to": view.forwarded_to,
        "updated_at": _local(view.updated_at, zone),
        "updated_on": written_date(view.updated_at.astimezone(zone).date()),
    }
