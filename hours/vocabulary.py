"""The Italian words supervisors read for extensions, closures and the line's state (callers': hours.speech)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

# Every text in one place, keyed "<kind>.<value>".
TEMPLATES: Final[Mapping[str, str]] = MappingProxyType({
    "kind.extension": "apertura straordinaria",
    "kind.closure": "chiusura",
    "status.active": "in corso",
    "status.upcoming": "prevista",
    "status.past": "conclusa",
    "status.cancelled": "annullata",
    "reason.weekly": "orario settimanale",
    "reason.extension": "apertura straordinaria",
    "reason.closure": "chiusura straordinaria",
    "reason.holiday": "festività",
    "reason.outside_hours": "fuori orario",
    "bands.all_day": "tutto il giorno",
    "bands.daily": "ogni giorno {bands}",
    "bands.closed": "chiuso",
})


def label(kind: str, value: str) -> str:
    """The Italian label of a value of `kind` (the value itself when it has none)."""
    return TEMPLATES.get(f"{kind}.{value}", value)
