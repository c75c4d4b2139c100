"""The Italian words operators read for the callback list's reasons, statuses and outcomes."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

# Every text in one place, keyed "<kind>.<value>".
TEMPLATES: Final[Mapping[str, str]] = MappingProxyType({
    "reason.closed": "servizio chiuso",
    "reason.all_busy": "operatori occupati",
    "reason.no_answer": "nessuna risposta",
    "reason.chosen": "scelta del chiamante",
    "reason.no_choice": "nessuna scelta",
    "reason.error": "problema tecnico",
    "status.pending": "da richiamare",
    "status.claimed": "in corso",
    "status.done": "completata",
    "status.unreachable": "non raggiungibile",
    "outcome.reached": "raggiunto",
    "outcome.no_answer": "non risponde",
    "outcome.busy": "occupato",
    "outcome.wrong_number": "numero errato",
    "message.awaiting": "in registrazione",
    "message.recorded": "registrato",
    "message.no_message": "nessun messaggio",
    "message.failed": "registrazione non riuscita",
    "message.absent": "nessun messaggio",
    "source.caller_id": "numero del chiamante",
    "source.keypad": "digitato",
    "source.none": "nessun numero di richiamata",
    "copy.none": "-",
    "copy.pending": "copia in attesa",
    "copy.copied": "copiata",
    "copy.failed": "copia non riuscita",
})


def label(kind: str, value: str) -> str:
    """The Italian label of a value of `kind` (the value itself when it has none)."""
    return TEMPLATES.get(f"{kind}.{value}", value)
