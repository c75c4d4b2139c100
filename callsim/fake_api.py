"""A fake Twilio REST API on 127.0.0.1 for the real `twilio` client, with fault injection."""

from __future__ import annotations

import base64
import hmac
import json
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http import HTTPStatus
from typing import Any

from twilio.rest import Client

from callsim.audio import silent_mp3, silent_wav
from callsim.fake_api_http import ApiResponse, ApiServer
from callsim.model import new_sid
from contact_center.twilio_rest import RewritingHttpClient

API_VERSION = "2010-04-01"
_ROUTES = re.compile(
    r"^/2010-04-01/Accounts/(?P<account>AC\w+)/"
    r"(?:(?P<collection>Messages|Calls)\.json"
    r"|Recordings/(?P<recording>RE\w+)(?P<format>\.json|\.wav|\.mp3)?)$"
)


@dataclass(frozen=True)
class ApiRequest:
    """One request the fake API received and the status it answered."""

    method: str
    path: str
    params: dict[str, str]
    status: int


@dataclass(frozen=True)
class Created:
    """A resource the app created (a message or a call): its SID and the parameters sent."""

    sid: str
    params: dict[str, str]


@dataclass(frozen=True)
class _StoredRecording:
    sid: str
    call_sid: str
    duration: int
    created: str


class FakeTwilioApi:
    """Twilio's REST API for messages, calls and recordings; use as a context manager."""

    def __init__(self, account_sid: str | None = None, auth_token: str = "fake-auth-token") -> None:
        self.account_sid = account_sid or new_sid("AC")
        self.auth_token = auth_token
        self.messages: list[Created] = []
        self.calls: list[Created] = []
        self.deleted_recordings: list[str] = []
        self.requests: list[ApiRequest] = []
        self._recordings: dict[str, _StoredRecording] = {}
        self._failures: list[int] = []
        self._lock = threading.Lock()
        self._server: ApiServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> FakeTwilioApi:
        self._server = ApiServer(self)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,))
        self._thread.daemon = True
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = None

    @property
    def base_url(self) -> str:
        """Where the fake API listens, e.g. http://127.0.0.1:54321."""
        if self._server is None:
            raise RuntimeError("the fake API is not running: use it in a `with` block")
        return f"http://127.0.0.1:{self._server.server_port}"

    def add_recording(self, sid: str, call_sid: str, duration: int) -> None:
        """Make a recording available, as the simulator does after each <Record>."""
        with self._lock:
            self._recordings[sid] = _StoredRecording(sid, call_sid, duration, _now())

    def fail_next(self, count: int = 1, status: int = 500) -> None:
        """Answer the next `count` requests with `status` and a Twilio error body."""
        with self._lock:
            self._failures.extend([status] * count)

    def respond(
        self, method: str, path: str, params: dict[str, str], authorization: str | None
    ) -> ApiResponse:
        """Answer one request (the HTTP server calls this; tests may too)."""
        with self._lock:
            response = self._answer(method, path, params, authorization)
            self.requests.append(ApiRequest(method, path, params, response.status))
            return response

    def _answer(
        self, method: str, path: str, params: dict[str, str], authorization: str | None
    ) -> ApiResponse:
        if self._failures:
            status = self._failures.pop(0)
            return _error(status, 20000 + status, HTTPStatus(status).phrase)
        if not self._authorized(authorization):
            response = _error(401, 20003, "Authenticate")
            return ApiResponse(
                401, body=response.body, headers=(("WWW-Authenticate", 'Basic realm="Twilio API"'),)
            )
        route = _ROUTES.match(path)
        if route is None or route["account"] != self.account_sid:
            return _not_found(path)
        if route["collection"] == "Messages" and method == "POST":
            return self._create_message(params)
        if route["collection"] == "Calls" and method == "POST":
            return self._create_call(params)
        if route["recording"] and method in ("GET", "DELETE"):
            return self._recording(method, path, route["recording"], route["format"] or "")
        return _error(405, 20004, "Method not allowed")

    def _authorized(self, authorization: str | None) -> bool:
        scheme, _, encoded = (authorization or "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            username, _, password = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            return False
        expected = f"{self.account_sid}:{self.auth_token}"
        return hmac.compare_digest(f"{username}:{password}", expected)

    def _create_message(self, params: dict[str, str]) -> ApiResponse:
        if not params.get("To"):
            return _error(400, 21604, "A 'To' phone number is required.")
        if not params.get("From") and not params.get("MessagingServiceSid"):
            return _error(400, 21603, "A 'From' phone number is required.")
        if not params.get("Body") and not params.get("MediaUrl"):
            return _error(400, 21602, "Message body is required.")
        sid = new_sid("SM")
        self.messages.append(Created(sid, params))
        now = _now()
        return _json(201, {
            "sid": sid,
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "to": params["To"],
            "from": params.get("From"),
            "messaging_service_sid": params.get("MessagingServiceSid"),
            "body": params.get("Body", ""),
            "status": "queued" if params.get("From") else "accepted",
            "direction": "outbound-api",
            "num_segments": "1",
            "num_media": "1" if params.get("MediaUrl") else "0",
            "price": None,
            "price_unit": "USD",
            "error_code": None,
            "error_message": None,
            "date_created": now,
            "date_updated": now,
            "date_sent": None,
            "uri": self._uri(f"Messages/{sid}.json"),
            "subresource_uris": {"media": self._uri(f"Messages/{sid}/Media.json")},
        })

    def _create_call(self, params: dict[str, str]) -> ApiResponse:
        if not params.get("To"):
            return _error(400, 21201, "No 'To' number is specified")
        if not params.get("From"):
            return _error(400, 21213, "No 'From' number is specified")
        if not any(params.get(name) for name in ("Url", "Twiml", "ApplicationSid")):
            return _error(400, 21205, "Either Url, Twiml or ApplicationSid is required")
        sid = new_sid("CA")
        self.calls.append(Created(sid, params))
        now = _now()
        return _json(201, {
            "sid": sid,
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "to": params["To"],
            "to_formatted": params["To"],
            "from": params["From"],
            "from_formatted": params["From"],
            "status": "queued",
            "direction": "outbound-api",
            "parent_call_sid": None,
            "phone_number_sid": None,
            "answered_by": None,
            "forwarded_from": None,
            "caller_name": None,
            "group_sid": None,
            "trunk_sid": None,
            "queue_time": "0",
            "start_time": None,
            "end_time": None,
            "duration": None,
            "price": None,
            "price_unit": "USD",
            "date_created": now,
            "date_updated": now,
            "uri": self._uri(f"Calls/{sid}.json"),
            "subresource_uris": {"recordings": self._uri(f"Calls/{sid}/Recordings.json")},
        })

    def _recording(self, method: str, path: str, sid: str, extension: str) -> ApiResponse:
        recording = self._recordings.get(sid)
        if recording is None:
            return _not_found(path)
        if method == "DELETE":
            if extension != ".json":
                return _error(405, 20004, "Method not allowed")
            del self._recordings[sid]
            self.deleted_recordings.append(sid)
            return ApiResponse(204, content_type="")
        if extension == ".json":
            return _json(200, self._recording_resource(recording))
        if extension == ".mp3":
            return ApiResponse(200, "audio/mpeg", silent_mp3(recording.duration))
        return ApiResponse(200, "audio/x-wav", silent_wav(recording.duration))

    def _recording_resource(self, recording: _StoredRecording) -> dict[str, Any]:
        return {
            "sid": recording.sid,
            "account_sid": self.account_sid,
            "call_sid": recording.call_sid,
            "conference_sid": None,
            "api_version": API_VERSION,
            "date_created": recording.created,
            "date_updated": recording.created,
            "start_time": recording.created,
            "duration": str(recording.duration),
            "channels": 1,
            "source": "RecordVerb",
            "status": "completed",
            "price": None,
            "price_unit": "USD",
            "error_code": None,
            "encryption_details": None,
            "uri": self._uri(f"Recordings/{recording.sid}.json"),
            "media_url": f"{self.base_url}{self._uri(f'Recordings/{recording.sid}')}",
            "subresource_uris": {
                "transcriptions": self._uri(f"Recordings/{recording.sid}/Transcriptions.json")
            },
        }

    def _uri(self, resource: str) -> str:
        return f"/{API_VERSION}/Accounts/{self.account_sid}/{resource}"


def _now() -> str:
    return format_datetime(datetime.now(UTC))


def _json(status: int, payload: dict[str, Any]) -> ApiResponse:
    return ApiResponse(status, body=json.dumps(payload).encode())


def _error(status: int, code: int, message: str) -> ApiResponse:
    return _json(status, {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    })


def _not_found(path: str) -> ApiResponse:
    return _error(404, 20404, f"The requested resource {path} was not found")


def twilio_client_for(
    api: FakeTwilioApi, account_sid: str | None = None, auth_token: str | None = None
) -> Client:
    """A real twilio Client talking to the fake API (credentials default to the API's own)."""
    return Client(
        account_sid or api.account_sid,
        auth_token or api.auth_token,
        http_client=RewritingHttpClient(api.base_url),
    )
