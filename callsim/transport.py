"""How the simulator reaches the app: in-process through WSGI, or over real HTTP."""

from __future__ import annotations

import traceback
from typing import Any, NamedTuple, Protocol
from urllib.parse import urlsplit

import requests
from werkzeug.test import Client

TWILIO_TIMEOUT_SECONDS = 15.0


class HttpResponse(NamedTuple):
    """What the app answered: status code, Content-Type header and decoded body."""

    status: int
    content_type: str
    body: str


class TransportError(Exception):
    """The request got no HTTP response at all (refused, unreachable, timed out)."""


class Transport(Protocol):
    """Sends one request to the app; `base_url` is where the app listens."""

    base_url: str

    def send(
        self, method: str, url: str, form_params: dict[str, str], headers: dict[str, str]
    ) -> HttpResponse:
        """Send `method url` with a form body (empty for GET) and return the response."""
        ...


def path_and_query(url: str) -> str:
    """The path plus query string of an absolute URL, which is what reaches the app."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def decode_body(body: bytes, content_type: str) -> str:
    """Decode a body with the charset named in its Content-Type (UTF-8 otherwise)."""
    charset = "utf-8"
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.strip().partition("=")
        if name.lower() == "charset" and value:
            charset = value.strip('"')
    try:
        return body.decode(charset, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


class WSGITransport:
    """Calls a WSGI app in-process; an exception in the app becomes a 500, as a server would."""

    def __init__(self, wsgi_app: Any, base_url: str = "http://localhost") -> None:
        self.base_url = base_url
        self._client = Client(wsgi_app)

    def send(
        self, method: str, url: str, form_params: dict[str, str], headers: dict[str, str]
    ) -> HttpResponse:
        """Run the request through the app and return its response."""
        try:
            response = self._client.open(
                path_and_query(url),
                base_url=self.base_url,
                method=method,
                data=form_params or None,
                headers=headers,
            )
        except Exception:  # the app crashed: a real server answers 500
            return HttpResponse(500, "text/plain", traceback.format_exc())
        content_type = response.headers.get("Content-Type", "")
        return HttpResponse(
            response.status_code, content_type, decode_body(response.get_data(), content_type)
        )


class HTTPTransport:
    """Sends real HTTP requests to `base_url`, whatever public origin the URL names."""

    def __init__(self, base_url: str, timeout: float = TWILIO_TIMEOUT_SECONDS, verify: bool | str = True) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.base_url = f"{parts.scheme}://{parts.netloc}"
        self.timeout = timeout
        self.verify = verify  # a CA file for a TLS proxy with a private certificate
        self._session = requests.Session()

    def send(
        self, method: str, url: str, form_params: dict[str, str], headers: dict[str, str]
    ) -> HttpResponse:
        """Send the request; redirects are not followed, like any other non-2xx answer."""
        try:
            response = self._session.request(
                method,
                self.base_url + path_and_query(url),
                data=form_params or None,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
                verify=self.verify,  # per request: REQUESTS_CA_BUNDLE would override the session's
            )
        except requests.Timeout as error:
            raise TransportError(f"no response within {self.timeout:g} s") from error
        except requests.RequestException as error:
            raise TransportError(f"cannot reach {self.base_url}: {error}") from error
        content_type = response.headers.get("Content-Type", "")
        return HttpResponse(
            response.status_code, content_type, decode_body(response.content, content_type)
        )


class RoutingTransport:
    """Sends each request to the transport of its URL's origin, like DNS for several hostnames.

    A number's Voice URL and Fallback URL may name different hosts (the load balancer, and
    another host for the fallback); a URL whose origin has no route goes to `default`.
    """

    def __init__(self, default: Transport, routes: dict[str, Transport]) -> None:
        self.default = default
        self.base_url = default.base_url
        self.routes = {origin.rstrip("/").lower(): transport for origin, transport in routes.items()}

    def send(
        self, method: str, url: str, form_params: dict[str, str], headers: dict[str, str]
    ) -> HttpResponse:
        """Send through the transport routed for the URL's scheme and host."""
        parts = urlsplit(url)
        transport = self.routes.get(f"{parts.scheme}://{parts.netloc}".lower(), self.default)
        return transport.send(method, url, form_params, headers)
