"""The Italian words for console accounts: roles, and why an account change was refused."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Protocol

# Keyed by access.accounts.Role's values.
ROLE_LABELS: Final[Mapping[str, str]] = MappingProxyType({
    "operator": "operatore",
    "supervisor": "supervisore",
})

# What each audit log action code means, as supervisors read the log in the console.
AUDIT_ACTIONS: Final[Mapping[str, str]] = MappingProxyType({
    "sign_in": "accesso alla console",
    "sign_in_wrong": "accesso rifiutato (nome o password errati)",
    "sign_in_throttled": "accesso rifiutato (troppi tentativi)",
    "sign_in_disabled": "accesso rifiutato (account disattivato)",
    "sign_out": "uscita dalla console",
    "account_add": "account creato",
    "account_enable": "account riattivato",
    "account_disable": "account disattivato",
    "account_unlock": "account sbloccato",
    "account_password": "password cambiata",
    "account_role": "ruolo cambiato",
    "account_phone": "telefono cambiato",
    "callback_claim": "richiamata presa in carico",
    "callback_release": "richiamata rilasciata",
    "callback_outcome": "esito della richiamata",
    "callback_call": "chiamata avviata dalla console",
    "ticket_open": "richiesta aperta dalla console",
    "ticket_status": "stato della richiesta cambiato",
    "ticket_reply": "risposta inviata al cittadino",
    "mail_retry": "nuovo invio di un'e-mail",
    "presence": "presenza cambiata",
    "event_add": "evento aggiunto",
    "event_remove": "evento eliminato",
    "hours_extension": "apertura straordinaria aggiunta",
    "hours_closure": "chiusura aggiunta",
    "hours_cancel": "orario straordinario annullato",
})

# Why an account change was refused (access.accounts.AccountProblem), keyed by the problem's code;
# the placeholders are the refusal's details.
PROBLEMS: Final[Mapping[str, str]] = MappingProxyType({
    "name_empty": "il nome è vuoto",
    "name_too_long": "il nome supera i {limit} caratteri",
    "name_not_printable": "il nome contiene caratteri di controllo",
    "unknown_role": "ruolo sconosciuto {role!r}: usa operator o supervisor",
    "not_a_phone": "{phone!r} non è un numero di telefono",
    "invalid_phone": "{phone!r} non è un numero di telefono valido",
    "password_too_short": "la password deve avere almeno {minimum} caratteri",
    "password_too_long": "la password non può superare i {limit} caratteri",
    "password_blank": "la password non può essere fatta di soli spazi",
    "name_taken": "esiste già un account di nome {name!r}",
    "no_such_id": "nessun account con identificativo {account_id}",
    "no_such_name": "nessun account di nome {name!r}",
})


class Refusal(Protocol):
    """A domain refusal: a problem's code and the values that explain it."""

    @property
    def problem(self) -> str: ...

    @property
    def details(self) -> Mapping[str, object]: ...


def role_label(role: str) -> str:
    """The Italian name of a role ('operatore', 'supervisore')."""
    return ROLE_LABELS[role]


def describe(refusal: Refusal) -> str:
    """The Italian sentence of a refused account change (access.accounts.AccountError)."""
    return PROBLEMS[refusal.problem].format_map(refusal.details)
