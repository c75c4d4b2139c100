"""The fake API's HTTP side: a threaded server on 127.0.0.1 handing each request to a responder."""

from __future__ import annotations

from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class ApiResponse:
    """What the fake API answers."""

    status: int
    content_type: str = "application/json"
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


class Responder(Protocol):
    """What answers the requests (the fake API)."""

    def respond(
        self, method: str, path: str, params: dict[str, str], authorization: str | None
    ) -> ApiResponse:
        """Answer one request."""
        ...


class ApiServer(ThreadingHTTPServer):
    """Serves `api` on 127.0.0.1 at a free port, one thread per request."""

    daemon_threads = True

    def __init__(self, api: Responder) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.api = api


class _Handler(BaseHTTPRequestHandler):
    server: ApiServer

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: tests read `api.requests` instead."""

    def _handle(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        form = self.rfile.read(length).decode("utf-8")
        params = _form_params(url.query + "&" + form)
        response = self.server.api.respond(
            self.command, url.path, params, self.headers.get("Authorization")
        )
        self.send_response(response.status)
        if response.content_type:
            self.send_header("Content-Type", response.content_type)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)


def _form_params(encoded: str) -> dict[str, str]:
    """Form parameters; a repeated name (e.g. StatusCallbackEvent) joins its values with spaces."""
    params: dict[str, str] = {}
    for name, value in parse_qsl(encoded, keep_blank_values=True):
        params[name] = f"{params[name]} {value}" if name in params else value
    return params
