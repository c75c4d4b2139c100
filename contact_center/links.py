"""Links one face hands to another: the console asks Twilio to fetch a voice step ("Chiama").

The URL names the callback entry and the number, bound together by an HMAC keyed with the auth
token, so only the service can mint it; the voice step checks it before dialling anyone.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final
from urllib.parse import urlencode

CALLBACK_CALL_PATH: Final = "/voice/callback-call"
CALLBACK_CALL_STATUS_PATH: Final = "/voice/callback-call/status"


def callback_call_signature(auth_token: str, entry_id: int, number: str) -> str:
    """The HMAC binding an entry to the number the console asked to call."""
    message = f"callback-call:{entry_id}:{number}".encode()
    return hmac.new(auth_token.encode(), message, hashlib.sha256).hexdigest()[:40]


def callback_call_url(auth_token: str, entry_id: int, number: str) -> str:
    """The relative URL Twilio fetches when the operator answers."""
    signature = callback_call_signature(auth_token, entry_id, number)
    return f"{CALLBACK_CALL_PATH}?{urlencode({'entry': entry_id, 'number': number, 'sig': signature})}"


def callback_call_status_url(entry_id: int) -> str:
    """The relative URL of the status callback of the operator's leg (Twilio signs what it posts there)."""
    return f"{CALLBACK_CALL_STATUS_PATH}?{urlencode({'entry': entry_id})}"
