"""The web surface of the tickets: the citizens' "Stato della richiesta" page and the integrators' JSON API.

Thin: parse the request, call the tickets domain, render. Templates live in templates/selfservice/.
"""

from __future__ import annotations

from flask import Flask

from selfservice import api, status


def register(app: Flask) -> None:
    """Add the status page, the public status JSON and the authenticated tickets API to `app`."""
    app.register_blueprint(status.make_blueprint())
    app.register_blueprint(api.make_blueprint())
    app.register_error_handler(api.HTTPException, api.json_http_error)
