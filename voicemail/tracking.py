"""The tracking code a caller hears: chosen in the call, before the database has to answer."""

from __future__ import annotations

import hashlib
import hmac

from tickets.codes import damm_check_digit


def call_tracking_code(call_sid: str, key: str, length: int = 8) -> str:
    """A valid code derived from the CallSid with a secret key.

    The same call always gets the same code, so a repeated webhook, or the journal replayed
    after a database outage, stores the very code the caller was told.
    """
    if length < 2:
        raise ValueError(f"a code needs at least 2 digits, got {length}")
    digest = hmac.new(key.encode("utf-8"), call_sid.encode("utf-8"), hashlib.sha256).digest()
    lowest = 10 ** (length - 2)
    body = str(lowest + int.from_bytes(digest, "big") % (9 * lowest))
    return body + damm_check_digit(body)
