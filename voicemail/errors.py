"""What the callback list refuses to do: a code and the values that explain it.

The words are not here: `voicemail.vocabulary.describe` turns a refusal into the Italian
sentence operators read, in the console, its JSON API and the command line alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from voicemail.vocabulary import describe


class CallbackProblem(StrEnum):
    """Why the callback list refused a request."""

    NO_OPERATOR = "no_operator"
    NO_SUCH_ENTRY = "no_such_entry"
    ENTRY_CLOSED = "entry_closed"  # status
    CLAIMED_BY_ANOTHER = "claimed_by_another"  # claimed_by
    NOT_CLAIMED = "not_claimed"
    UNKNOWN_OUTCOME = "unknown_outcome"  # outcome, choices
    TICKET_REFUSED = "ticket_refused"  # ticket, current, new
    TICKET_NEEDS_INSTITUTION = "ticket_needs_institution"  # ticket
    UNKNOWN_LIST = "unknown_list"  # view, choices
    # The console's filters and page cursors.
    UNKNOWN_VIEW = "unknown_view"  # view
    UNKNOWN_REASON = "unknown_reason"  # reason
    UNKNOWN_TOPIC = "unknown_topic"  # topic
    BAD_DATE = "bad_date"
    DATE_OUT_OF_RANGE = "date_out_of_range"  # first_year, last_year
    BAD_CURSOR = "bad_cursor"
    BAD_SEARCH = "bad_search"  # code_length


class CallbackError(Exception):
    """A request the callback list cannot carry out: `problem` says why, `details` with which values.

    `str()` is the vocabulary's sentence, so logs and tracebacks read as operators do.
    """

    def __init__(self, problem: CallbackProblem, **details: object) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.details: Mapping[str, object] = MappingProxyType(details)

    def __str__(self) -> str:
        return describe(self)


class BadFilter(CallbackError):
    """A filter or a page cursor of the console's list that cannot be used."""
