"""The operators' console: a server-rendered web application, its JSON API and the dossier page."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Serve the console under /console/ (the dossier included) and its JSON API under /api/console/."""
    from console import dossier_page, web
    from console.views import new_request, replies  # noqa: F401  (the written channel's pages)

    web.init_app(app)
    app.register_blueprint(dossier_page.make_blueprint())
