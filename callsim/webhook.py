"""Signed webhook requests to the app, and Twilio's verdict on what comes back."""

from __future__ import annotations

import uuid
from time import perf_counter
from urllib.parse import urldefrag, urlencode

from twilio.request_validator import RequestValidator

from callsim.model import TRANSPORT_ERROR, RequestLog, SignatureMode
from callsim.transport import TWILIO_TIMEOUT_SECONDS, Transport, TransportError
from callsim.twiml import Context, Document, Node, TwimlError, parse_document

XML_CONTENT_TYPES = frozenset({"text/xml", "application/xml"})
_WRONG_TOKEN = "this-is-not-the-auth-token"


def with_query(url: str, params: dict[str, str]) -> str:
    """The URL with `params` appended to its query string."""
    if not params:
        return url
    return url + ("&" if "?" in url else "?") + urlencode(params)


class Webhooks:
    """Sends Twilio-signed requests through a transport and keeps a log of every one."""

    def __init__(
        self,
        transport: Transport,
        auth_token: str,
        signature: SignatureMode = "valid",
        strict: bool = True,
    ) -> None:
        self.transport = transport
        self.strict = strict
        self.log: list[RequestLog] = []
        self._signature = signature
        self._validator = RequestValidator(auth_token)
        self._wrong_validator = RequestValidator(_WRONG_TOKEN)

    def send(self, method: str, url: str, params: dict[str, str]) -> RequestLog:
        """Sign and send one request (GET carries the params in the query string)."""
        url = urldefrag(url).url  # connection-override fragments never reach the server
        if method == "GET":
            url, params = with_query(url, params), {}
        headers = {
            "User-Agent": "TwilioProxy/1.1",
            "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
            **self._signature_header(url, params),
        }
        return self._deliver(method, url, params, headers)

    def resend(self, request: RequestLog) -> RequestLog:
        """Send the same request again, idempotency token included (a duplicate delivery)."""
        return self._deliver(
            request.method, request.url, dict(request.params), dict(request.headers)
        )

    def document(self, request: RequestLog, context: Context, document_url: str) -> Document:
        """The TwiML document in a response, or TwimlError with Twilio's error code."""
        if problem := self.delivery_problem(request):
            raise TwimlError(TRANSPORT_ERROR, problem)
        mime = request.content_type.split(";")[0].strip().lower()
        if mime not in XML_CONTENT_TYPES:
            if mime == "text/plain" and not self.strict:  # Twilio reads plain text aloud
                return Document(document_url, (Node("Say", {}, request.body.strip()),))
            raise TwimlError(
                TRANSPORT_ERROR, f"Content-Type {request.content_type!r} is not text/xml"
            )
        return parse_document(document_url, request.body, context, self.strict)

    @staticmethod
    def delivery_problem(request: RequestLog) -> str | None:
        """Why Twilio would call this request failed (11200), or None."""
        if request.status is None:
            return request.body
        if request.elapsed_ms > TWILIO_TIMEOUT_SECONDS * 1000:
            return f"no response within {TWILIO_TIMEOUT_SECONDS:g} s"
        if not 200 <= request.status < 300:
            return f"HTTP {request.status}"
        return None

    def _signature_header(self, url: str, params: dict[str, str]) -> dict[str, str]:
        if self._signature == "absent":
            return {}
        validator = self._validator if self._signature == "valid" else self._wrong_validator
        return {"X-Twilio-Signature": validator.compute_signature(url, params)}

    def _deliver(
        self, method: str, url: str, params: dict[str, str], headers: dict[str, str]
    ) -> RequestLog:
        started = perf_counter()
        try:
            status, content_type, body = self.transport.send(method, url, params, headers)
        except TransportError as error:
            status, content_type, body = None, "", str(error)
        elapsed_ms = (perf_counter() - started) * 1000
        request = RequestLog(method, url, params, headers, status, content_type, body, elapsed_ms, started)
        self.log.append(request)
        return request
