"""Request bodies larger than `web.max_body_bytes` are refused (413) before the app reads them.

werkzeug refuses a declared Content-Length above the limit, but a chunked body (no length,
decoded by gunicorn) is only cut off at the limit and parsed truncated. Here a chunked body is
read up to one byte past the limit: past it, the request is refused; otherwise the app gets
the body with its length, as if it had been sent in one piece.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from io import BytesIO
from typing import TYPE_CHECKING

from werkzeug.exceptions import RequestEntityTooLarge

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


class BodyLimit:
    """WSGI middleware enforcing a maximum request body size, chunked bodies included."""

    def __init__(self, app: WSGIApplication, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        declared = _declared_length(environ)
        if declared is not None and declared > self.max_bytes:
            return self._too_large(environ, start_response)
        if declared is None and _is_streamed(environ):
            body = environ["wsgi.input"].read(self.max_bytes + 1)
            if len(body) > self.max_bytes:
                return self._too_large(environ, start_response)
            environ["wsgi.input"] = BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.app(environ, start_response)

    def _too_large(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """413: as JSON on the JSON APIs (`/api/...`), werkzeug's page elsewhere."""
        if not environ.get("PATH_INFO", "").startswith("/api/"):
            return RequestEntityTooLarge()(environ, start_response)
        body = json.dumps({"error": "payload_too_large",
                           "message": f"the body is larger than {self.max_bytes} bytes"}).encode()
        start_response("413 Request Entity Too Large",
                       [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


def _declared_length(environ: WSGIEnvironment) -> int | None:
    if environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
        return None
    try:
        return max(int(environ.get("CONTENT_LENGTH") or ""), 0)
    except ValueError:
        return None


def _is_streamed(environ: WSGIEnvironment) -> bool:
    """A body without a length that the server terminates (chunked, decoded by gunicorn)."""
    return bool(environ.get("wsgi.input_terminated")) or environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked"
