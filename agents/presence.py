"""Presence states, which of them an operator sets by hand, and when a state runs out by itself."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Final


class Presence(StrEnum):
    """Where an operator stands."""

    OFFLINE = "offline"
    AVAILABLE = "available"
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    AWAY = "away"


# The Italian name of each state, as operators read it in the console and the CLI.
PRESENCE_LABELS: Final[Mapping[Presence, str]] = MappingProxyType({
    Presence.OFFLINE: "non in servizio",
    Presence.AVAILABLE: "disponibile",
    Presence.RINGING: "squilla",
    Presence.ON_CALL: "in chiamata",
    Presence.WRAP_UP: "in chiusura chiamata",
    Presence.AWAY: "in pausa",
})

MANUAL_STATES = (Presence.AVAILABLE, Presence.AWAY, Presence.OFFLINE)
BUSY_STATES = frozenset({Presence.RINGING, Presence.ON_CALL})
STAFFED_STATES = frozenset({Presence.AVAILABLE, Presence.RINGING, Presence.ON_CALL, Presence.WRAP_UP})


@dataclass(frozen=True)
class PresencePolicy:
    """How long each transient state may last before it is released by itself."""

    ring_timeout_seconds: int = 20
    ring_margin_seconds: int = 15
    max_call_seconds: int = 3600
    wrap_up_seconds: int = 30
    misses_before_away: int = 3

    def limits(self) -> dict[Presence, timedelta]:
        """How long each state that runs out by itself may last."""
        return {
            Presence.RINGING: timedelta(seconds=self.ring_timeout_seconds + self.ring_margin_seconds),
            Presence.ON_CALL: timedelta(seconds=self.max_call_seconds + self.ring_margin_seconds),
            Presence.WRAP_UP: timedelta(seconds=self.wrap_up_seconds),
        }

    def limit(self, state: Presence) -> timedelta | None:
        """How long `state` may last (None: as long as the operator wants)."""
        return self.limits().get(state)

    def deadline(self, state: Presence, since: datetime) -> datetime | None:
        """The instant a state entered at `since` runs out, if it does."""
        limit = self.limit(state)
        return None if limit is None else since + limit


def parse_manual_state(raw: str) -> Presence:
    """A state an operator may set by hand, from text such as 'Away'; ValueError otherwise."""
    key = raw.strip().lower()
    for state in MANUAL_STATES:
        if state.value == key:
            return state
    raise ValueError(f"unknown status {raw!r}; valid values: {', '.join(s.value for s in MANUAL_STATES)}")
