"""The public face: the citizens' "Stato della richiesta" page and "Scrivi al Contact Center" form,
the published opening hours and the integrators' tickets API.

Thin: parse the request, call the domain, render. Templates live in templates/selfservice/ and
templates/hours/.
"""

from __future__ import annotations

from flask import Flask

from selfservice import api, hours_page, status, written


def init_app(app: Flask) -> None:
    """Add the status page, the written form, the public status JSON, the published hours and the tickets API."""
    app.register_blueprint(status.make_blueprint())
    app.register_blueprint(written.make_blueprint())
    app.register_blueprint(hours_page.make_blueprint())
    app.register_blueprint(api.make_blueprint())
    app.register_error_handler(api.HTTPException, api.json_http_error)
