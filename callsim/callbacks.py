"""Callbacks whose answer Twilio ignores, and the call's own status callback when it ends."""

from __future__ import annotations

from callsim.call_state import CallState
from callsim.model import TRANSPORT_ERROR


class Callbacks:
    """Posts a call's callbacks; a failed delivery is still logged (11200)."""

    def __init__(self, call: CallState) -> None:
        self.call = call
        self._final_status_sent = False

    def notify(
        self, url: str, method: str, params: dict[str, str], duplicate: bool = False
    ) -> None:
        """Post a callback, twice with the same idempotency token when `duplicate`."""
        webhooks = self.call.webhooks
        request = webhooks.send(method, url, params)
        deliveries = [request, webhooks.resend(request)] if duplicate else [request]
        for delivery in deliveries:
            if problem := webhooks.delivery_problem(delivery):
                self.call.error(TRANSPORT_ERROR, url, problem)

    def final_status(self) -> None:
        """Post the call's status callback, once, as the simulator's mode says."""
        call = self.call
        url = call.settings.status_callback_url
        mode = call.settings.status_callback
        if self._final_status_sent or url is None or mode == "none":
            return
        self._final_status_sent = True
        params = {
            **call.params(),
            "CallStatus": call.status,
            "CallDuration": str(call.duration),
            "CallbackSource": "call-progress-events",
            "SequenceNumber": "0",
            "Timestamp": call.timestamp(),
        }
        self.notify(url, "POST", params, duplicate=mode == "twice")
