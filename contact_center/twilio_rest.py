"""The one place the service talks to Twilio's REST API: SMS, recording copies and deletions.

The real `twilio` client is used everywhere. When `twilio.api_base_url` is set (tests, the
local simulator) every request for *.twilio.com goes to that base URL instead, through
`RewritingHttpClient`.
"""

from __future__ import annotations

import logging
import re
from functools import cache
from typing import Any, Final
from urllib.parse import urlsplit

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from contact_center.config import TwilioSettings
from voicemail.recordings import RecordingUnavailable

log = logging.getLogger(__name__)

TWILIO_API: Final = "https://api.twilio.com"
API_VERSION: Final = "2010-04-01"
_RECORDING_SID: Final = re.compile(r"RE[0-9a-fA-F]{32}")
_AUDIO_FORMATS: Final = frozenset({"wav", "mp3"})


class RewritingHttpClient(TwilioHttpClient):  # type: ignore[misc]  # twilio ships no types
    """A TwilioHttpClient that sends every request for *.twilio.com to `base_url` instead."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def rewrite(self, url: str) -> str:
        """The URL with a twilio.com origin replaced by `base_url`; other URLs unchanged."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if host != "twilio.com" and not host.endswith(".twilio.com"):
            return url
        return self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        """Send the request to the rewritten URL."""
        return super().request(
            method, self.rewrite(url), params, data, headers, auth, timeout, allow_redirects
        )


class TwilioRest:
    """Twilio's REST API with the configured account: the real client, maybe pointed elsewhere."""

    def __init__(self, settings: TwilioSettings, timeout_seconds: float) -> None:
        self.account_sid = settings.account_sid
        self.auth_token = settings.auth_token
        self.base_url = (settings.api_base_url or TWILIO_API).rstrip("/")
        self.timeout_seconds = timeout_seconds
        http_client = (RewritingHttpClient(settings.api_base_url, timeout=timeout_seconds)
                       if settings.api_base_url else TwilioHttpClient(timeout=timeout_seconds))
        self.client = Client(self.account_sid or None, self.auth_token or None, http_client=http_client)
        self._media = requests.Session()

    @property
    def configured(self) -> bool:
        """Whether an account SID and auth token are configured."""
        return bool(self.account_sid and self.auth_token)

    def _recording_url(self, recording_sid: str, suffix: str) -> str:
        """The recording's own URL, built from its SID (never from a URL a request carried)."""
        if not _RECORDING_SID.fullmatch(recording_sid):
            raise RecordingUnavailable(f"{recording_sid!r} is not a recording SID")
        if not self.configured:
            raise RecordingUnavailable("no Twilio account SID and auth token configured")
        return f"{self.base_url}/{API_VERSION}/Accounts/{self.account_sid}/Recordings/{recording_sid}{suffix}"

    def download(self, recording_sid: str, file_format: str) -> bytes:
        """The recording's audio, fetched with the account's credentials."""
        if file_format not in _AUDIO_FORMATS:
            raise RecordingUnavailable(f"unknown audio format {file_format!r}")
        url = self._recording_url(recording_sid, f".{file_format}")
        try:
            response = self._media.get(url, auth=(self.account_sid, self.auth_token),
                                       timeout=self.timeout_seconds)
        except requests.RequestException as error:
            raise RecordingUnavailable(f"cannot reach Twilio: {error.__class__.__name__}") from None
        if response.status_code != 200:
            raise RecordingUnavailable(f"Twilio answered {response.status_code} for {recording_sid}")
        return response.content

    def delete(self, recording_sid: str) -> None:
        """Delete the recording from Twilio; one that is already gone counts as deleted."""
        self._recording_url(recording_sid, ".json")
        try:
            self.client.recordings(recording_sid).delete()
        except TwilioRestException as error:
            if error.status != 404:
                raise RecordingUnavailable(f"Twilio answered {error.status}: {error.msg}") from None
        except (TwilioException, requests.RequestException) as error:
            raise RecordingUnavailable(f"cannot reach Twilio: {error.__class__.__name__}") from None

    def send_sms(self, to: str, sender: str, body: str) -> str | None:
        """Send an SMS; its SID, or None when Twilio refused it or could not be reached."""
        if not self.configured:
            log.warning("SMS to %s not sent: no Twilio account SID and auth token configured", to)
            return None
        try:
            return self.client.messages.create(to=to, from_=sender, body=body).sid
        except (TwilioException, requests.RequestException) as error:
            log.warning("SMS to %s not sent: %s", to, error)
            return None


@cache
def twilio_rest(settings: TwilioSettings, timeout_seconds: float) -> TwilioRest:
    """The client for these settings, built once per process."""
    return TwilioRest(settings, timeout_seconds)
