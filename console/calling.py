"""Start a "Chiama" call through Twilio's REST API: the operator's phone first, then the citizen."""

from __future__ import annotations

from datetime import timedelta

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from contact_center.config import Settings

RING_MARGIN = timedelta(seconds=30)


class CallNotStarted(Exception):
    """Twilio did not take the call; the message (Italian) says why."""


def start_callback_call(client: Client, *, operator_phone: str, line_number: str, twiml_url: str,
                        ring_seconds: int, status_callback: str | None = None) -> str:
    """Ask Twilio to ring the operator's phone; when they answer it fetches `twiml_url`. The call's SID.

    `status_callback` hears how the operator's call ended (unanswered, busy, over).
    """
    extra = {"status_callback": status_callback, "status_callback_method": "POST"} if status_callback else {}
    try:
        call = client.calls.create(to=operator_phone, from_=line_number, url=twiml_url, method="POST",
                                   timeout=ring_seconds, **extra)
    except TwilioRestException as error:
        raise CallNotStarted(f"Twilio ha rifiutato la chiamata (errore {error.code or error.status})") from None
    except (TwilioException, requests.RequestException):
        raise CallNotStarted("Twilio non è raggiungibile in questo momento") from None
    return str(call.sid)


def ring_window(settings: Settings) -> timedelta:
    """How long a "Chiama" call may ring before another click may start a new one."""
    return timedelta(seconds=settings.console.operator_ring_seconds) + RING_MARGIN
