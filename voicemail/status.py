"""Where a callback entry stands on the list: to call back, being called back, or closed."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class CallbackStatus(StrEnum):
    """An entry's status (the values stored in `callback_requests.status`)."""

    PENDING = "pending"
    CLAIMED = "claimed"
    DONE = "done"
    UNREACHABLE = "unreachable"


# Still to be called back: waiting on the list, or taken by an operator.
OPEN_STATUSES: Final = (CallbackStatus.PENDING, CallbackStatus.CLAIMED)
# Closed for good: the citizen was reached, or could not be.
CLOSED_STATUSES: Final = (CallbackStatus.DONE, CallbackStatus.UNREACHABLE)
