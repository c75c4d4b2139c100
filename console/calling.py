"""Start a "Chiama" call through Twilio's REST API: the operator's phone first, then the citizen."""

from __future__ import annotations

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client


class CallNotStarted(Exception):
    """Twilio did not take the call; the message (Italian) says why."""


def start_callback_call(client: Client, *, operator_phone: str, line_number: str, twiml_url: str,
                        ring_seconds: int) -> str:
    """Ask Twilio to ring the operator's phone; when they answer it fetches `twiml_url`. The call's SID."""
    try:
        call = client.calls.create(to=operator_phone, from_=line_number, url=twiml_url, method="POST",
                                   timeout=ring_seconds)
    except TwilioRestException as error:
        raise CallNotStarted(f"Twilio ha rifiutato la chiamata (errore {error.code or error.status})") from None
    except (TwilioException, requests.RequestException):
        raise CallNotStarted("Twilio non è raggiungibile in questo momento") from None
    return str(call.sid)
