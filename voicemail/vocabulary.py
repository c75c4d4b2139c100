"""The Italian words operators read for the callback list's reasons, statuses and outcomes, and its refusals."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Protocol

from tickets.status import TicketStatus
from tickets.vocabulary import label as ticket_label
from voicemail.status import CallbackStatus

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
    "call.starting": "in avvio",
    "call.ringing_operator": "sta squillando il telefono dell'operatore",
    "call.in_call": "in corso: l'operatore ha risposto, si chiama il cittadino",
    "call.not_started": "non avviata",
    "call.operator_no_answer": "l'operatore non ha risposto al proprio telefono",
    "call.operator_busy": "il telefono dell'operatore era occupato",
    "call.operator_failed": "il telefono dell'operatore non era raggiungibile",
    "call.citizen_answered": "terminata: il cittadino ha risposto",
    "call.citizen_no_answer": "terminata: il cittadino non ha risposto",
    "call.citizen_busy": "terminata: il numero del cittadino era occupato",
    "call.citizen_failed": "terminata: il numero del cittadino non era raggiungibile",
    "call.ended": "terminata",
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


# Why the list refused a request (voicemail.errors.CallbackProblem), keyed by the problem's code;
# the placeholders are the refusal's details, statuses written with their Italian labels.
PROBLEMS: Final[Mapping[str, str]] = MappingProxyType({
    "no_operator": "indica il nome dell'operatore",
    "no_such_entry": "la richiamata {entry_id} non esiste",
    "entry_closed": "la richiamata {entry_id} è già chiusa ({status})",
    "claimed_by_another": "la richiamata {entry_id} è assegnata a {claimed_by}",
    "not_claimed": "la richiamata {entry_id} non è assegnata: indica l'operatore",
    "unknown_outcome": "esito sconosciuto {outcome!r}: usa {choices}",
    "ticket_refused": "la richiesta {ticket} non può passare da «{current}» a «{new}»",
    "ticket_needs_institution": "per inoltrare la richiesta {ticket} indica l'ente competente",
    "unknown_list": "elenco sconosciuto {view!r}: usa {choices}",
    "unknown_view": "elenco sconosciuto: {view}",
    "unknown_reason": "motivo sconosciuto: {reason}",
    "unknown_topic": "argomento sconosciuto: {topic}",
    "bad_date": "data non valida: usa il formato AAAA-MM-GG",
    "date_out_of_range": "data fuori intervallo: anni dal {first_year} al {last_year}",
    "bad_cursor": "indicatore di pagina non valido",
    "bad_search": "cerca un numero di telefono o un codice di {code_length} cifre",
})


class Refusal(Protocol):
    """A domain refusal: a problem's code and the values that explain it."""

    @property
    def problem(self) -> str: ...

    @property
    def details(self) -> Mapping[str, object]: ...


def _word(value: object) -> object:
    """A refusal's value as the sentence writes it."""
    if isinstance(value, CallbackStatus):
        return label("status", value.value)
    if isinstance(value, TicketStatus):
        return ticket_label(value)
    if isinstance(value, tuple):
        return ", ".join(str(item) for item in value)
    return value


def describe(refusal: Refusal) -> str:
    """The Italian sentence of a refusal of the callback list (voicemail.errors.CallbackError)."""
    return PROBLEMS[refusal.problem].format_map({key: _word(value) for key, value in refusal.details.items()})
