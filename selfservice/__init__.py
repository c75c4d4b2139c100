"""The public face: the citizens' "Stato della richiesta" page and "Scrivi al Contact Center" form,
the published opening hours and the integrators' tickets API.

Thin: parse the request, call the domain, render. Templates live in templates/selfservice/ and
templates/hours/.
"""

from __future__ import annotations

from flask import Flask, Response, request

from contact_center.runtime import current_runtime
from selfservice import api, hours_page, status, written

# The public pages load nothing from elsewhere; only the configured sites may frame them.
PAGE_PATHS = ("/status", "/hours.html", "/hours")


def _public_page_headers(response: Response) -> Response:
    """CSP and frame policy on the public pages; HSTS on everything when the public URL is https."""
    web = current_runtime().settings.web
    if web.strict_transport_security:
        response.headers.setdefault("Strict-Transport-Security", web.strict_transport_security)
    if request.path in PAGE_PATHS and response.mimetype == "text/html":
        ancestors = " ".join(web.embed_origins) or "'none'"
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
            f"base-uri 'none'; frame-ancestors {ancestors}")
        if not web.embed_origins:
            response.headers["X-Frame-Options"] = "DENY"
    return response


def init_app(app: Flask) -> None:
    """Add the status page, the written form, the public status JSON, the published hours and the tickets API."""
    app.register_blueprint(status.make_blueprint())
    app.register_blueprint(written.make_blueprint())
    app.register_blueprint(hours_page.make_blueprint())
    app.register_blueprint(api.make_blueprint())
    app.register_error_handler(api.HTTPException, api.json_http_error)
    app.after_request(_public_page_headers)
