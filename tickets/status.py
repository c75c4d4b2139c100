"""A ticket's vocabulary: its status and the rules to change it, its channel and its topic."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final, TypeVar


class TicketStatus(StrEnum):
    """Where a request stands, as the citizen hears it."""

    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    WAITING_FOR_CITIZEN = "waiting_for_citizen"
    FORWARDED = "forwarded"
    CLOSED = "closed"


class Channel(StrEnum):
    """How the request reached the Contact Center."""

    PHONE = "phone"
    VOICEMAIL = "voicemail"
    WEB = "web"
    EMAIL = "email"
    FAX = "fax"
    LETTER = "letter"


class Topic(StrEnum):
    """What the request is about: the service's five subjects, and anything else."""

    RISKS = "risks"
    LEGISLATION = "legislation"
    DEPARTMENT = "department"
    NATIONAL_SERVICE = "national_service"
    CAMPAIGNS = "campaigns"
    OTHER = "other"


_S = TicketStatus
ALLOWED_TRANSITIONS: Final[Mapping[TicketStatus, frozenset[TicketStatus]]] = MappingProxyType({
    _S.RECEIVED: frozenset({_S.IN_PROGRESS, _S.WAITING_FOR_CITIZEN, _S.FORWARDED, _S.CLOSED}),
    _S.IN_PROGRESS: frozenset({_S.WAITING_FOR_CITIZEN, _S.FORWARDED, _S.CLOSED}),
    _S.WAITING_FOR_CITIZEN: frozenset({_S.IN_PROGRESS, _S.FORWARDED, _S.CLOSED}),
    _S.FORWARDED: frozenset({_S.IN_PROGRESS, _S.CLOSED}),
    _S.CLOSED: frozenset({_S.IN_PROGRESS}),
})


class InvalidTransition(ValueError):
    """A status change the rules do not allow."""


def check_transition(current: TicketStatus, new: TicketStatus, forwarded_to: str | None = None) -> None:
    """Raise InvalidTransition unless `current` may become `new`; forwarding names the institution."""
    if new not in ALLOWED_TRANSITIONS[current]:
        raise InvalidTransition(f"cannot move a ticket from {current} to {new}")
    named = bool(forwarded_to and forwarded_to.strip())
    if new is TicketStatus.FORWARDED and not named:
        raise InvalidTransition("forwarding a ticket requires the name of the competent institution")
    if new is not TicketStatus.FORWARDED and named:
        raise InvalidTransition(f"an institution is named only when forwarding, not when moving to {new}")


_E = TypeVar("_E", bound=StrEnum)


def _parse(kind: type[_E], noun: str, raw: str) -> _E:
    """The member of `kind` written with dashes or underscores, in any case."""
    key = raw.strip().lower().replace("-", "_")
    try:
        return kind(key)
    except ValueError:
        valid = ", ".join(member.value for member in kind)
        raise ValueError(f"unknown {noun} {raw!r}; valid values: {valid}") from None


def parse_status(raw: str) -> TicketStatus:
    """A status from text such as 'in-progress' or 'IN_PROGRESS'."""
    return _parse(TicketStatus, "status", raw)


def parse_channel(raw: str) -> Channel:
    """A channel from text such as 'voicemail' or 'EMAIL'."""
    return _parse(Channel, "channel", raw)


def parse_topic(raw: str) -> Topic:
    """A topic from text such as 'national-service'."""
    return _parse(Topic, "topic", raw)
