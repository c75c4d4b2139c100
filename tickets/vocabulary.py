"""The Italian words for statuses, channels and topics, the status sentences, and dates in words."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from types import MappingProxyType
from typing import Final

from hours.speech import TEMPLATES as HOURS_TEXTS
from hours.speech import spoken_date
from tickets.status import Channel, TicketStatus, Topic

# Every text in one place, keyed "<kind>.<value>"; callers may override any subset.
TEMPLATES: Final[Mapping[str, str]] = MappingProxyType({
    "status.received": "ricevuta",
    "status.in_progress": "in lavorazione",
    "status.waiting_for_citizen": "in attesa di informazioni dal cittadino",
    "status.forwarded": "inoltrata all'ente competente",
    "status.closed": "chiusa",
    "status_sentence.received": "La richiesta è stata ricevuta ed è in attesa di lavorazione.",
    "status_sentence.in_progress": "La richiesta è in lavorazione.",
    "status_sentence.waiting_for_citizen": (
        "La richiesta è in attesa di informazioni da parte tua. "
        "Ti contatteremo al più presto, oppure puoi richiamarci."
    ),
    "status_sentence.forwarded": "La richiesta è stata inoltrata all'ente competente: {institution}.",
    "status_sentence.closed": "La richiesta è stata chiusa.",
    "channel.phone": "telefono",
    "channel.voicemail": "segreteria telefonica",
    "channel.web": "modulo online",
    "channel.email": "e-mail",
    "channel.fax": "fax",
    "channel.letter": "lettera",
    "topic.risks": "rischi sul territorio e norme di comportamento",
    "topic.legislation": "normativa nazionale",
    "topic.department": "attività e competenze del Dipartimento",
    "topic.national_service": "attività e competenze del Servizio nazionale di protezione civile",
    "topic.campaigns": "iniziative e materiale di divulgazione",
    "topic.other": "altro",
    "day.today": "oggi",
    "day.yesterday": "ieri",
    "day.other_year": "{date} {year}",
    "language.it": "italiano",
    "language.en": "inglese",
})

LANGUAGE_CODES: Final = ("it", "en")  # the languages a caller may speak to the line, Italian first

_KINDS: Final[Mapping[type, str]] = MappingProxyType(
    {TicketStatus: "status", Channel: "channel", Topic: "topic"}
)


def _texts(templates: Mapping[str, str] | None) -> Mapping[str, str]:
    """The default texts with the given overrides on top."""
    return {**TEMPLATES, **(templates or {})}


def label(member: TicketStatus | Channel | Topic, templates: Mapping[str, str] | None = None) -> str:
    """The Italian label of a status, channel or topic."""
    return _texts(templates)[f"{_KINDS[type(member)]}.{member.value}"]


def status_sentence(status: TicketStatus, forwarded_to: str | None = None,
                    templates: Mapping[str, str] | None = None) -> str:
    """The sentence the IVR speaks for a status; a forwarded request names its institution."""
    institution = (forwarded_to or "").strip()
    if status is TicketStatus.FORWARDED and not institution:
        raise ValueError("a forwarded request's sentence needs the institution's name")
    return _texts(templates)[f"status_sentence.{status.value}"].format(institution=institution)


def language_label(code: str, templates: Mapping[str, str] | None = None) -> str:
    """The Italian name of a caller's language ("it", "en"); an unknown code shows itself."""
    return _texts(templates).get(f"language.{code}", code)


def written_date(day: date) -> str:
    """A date as Italians write it in full: '1º novembre 2026', '3 novembre 2026'."""
    number = "1º" if day.day == 1 else str(day.day)
    return f"{number} {HOURS_TEXTS[f'month.{day.month}']} {day.year}"


def spoken_past_day(day: date, today: date, templates: Mapping[str, str] | None = None,
                    date_templates: Mapping[str, str] | None = None) -> str:
    """A past day as said after 'aggiornata': 'oggi', 'ieri', 'il 3 novembre', "l'8 marzo 2025".

    `templates` override this vocabulary's "day.*" words, `date_templates` the dates' (hours.speech).
    """
    texts = _texts(templates)
    if day == today:
        return texts["day.today"]
    if day == today - timedelta(days=1):
        return texts["day.yesterday"]
    phrase = spoken_date(day, date_templates, with_article=True)
    return phrase if day.year == today.year else texts["day.other_year"].format(date=phrase, year=day.year)


# What the web page and the public JSON say for a lookup that found nothing (the IVR has its prompts).
LOOKUP_MESSAGES: Final[Mapping[str, str]] = MappingProxyType({
    "missing": "Inserisci il codice della richiesta.",
    "invalid": "Il codice non è valido: controlla le cifre e riprova.",
    "unknown": "Nessuna richiesta con questo codice.",
    "refused": "Troppi tentativi, riprova più tardi.",
})
