"""The Flask application factory."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, jsonify
from sqlalchemy import text

import selfservice
from console.web import init_app as init_console
from ivr import dossier_page, hours_page, observability
from ivr.body_limit import BodyLimit
from ivr.config import Settings, load_settings, settings_from_mapping
from ivr.runtime import Runtime
from ivr.webhooks import make_blueprint, make_validator

log = logging.getLogger(__name__)


def _settings(config: Settings | Mapping[str, Any] | None) -> Settings:
    if config is None:
        return load_settings()
    if isinstance(config, Settings):
        return config
    return settings_from_mapping(dict(config))


def create_app(config: Settings | Mapping[str, Any] | None = None) -> Flask:
    """Build the app from `config` (settings, a mapping, or None to read config.yaml)."""
    settings = _settings(config)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.web.secret_key or None,
        MAX_CONTENT_LENGTH=settings.web.max_body_bytes,
        MAX_FORM_MEMORY_SIZE=settings.web.max_body_bytes,
    )
    rt = Runtime.build(settings)
    app.extensions["contact_center"] = rt
    app.extensions["twilio_validator"] = make_validator(rt)
    if settings.development.skip_signature_check:
        log.warning("!!! DEVELOPMENT MODE: Twilio signature check is OFF; anyone can drive calls. "
                    "Never run this configuration in production. !!!")
    app.wsgi_app = BodyLimit(app.wsgi_app, settings.web.max_body_bytes)  # type: ignore[method-assign]
    observability.init_app(app, rt)
    app.register_blueprint(make_blueprint())
    app.register_blueprint(hours_page.make_blueprint())
    selfservice.register(app)
    init_console(app)
    app.register_blueprint(dossier_page.make_blueprint())

    @app.get("/healthz")
    def healthz() -> Any:
        """Database reachability and journal backlog."""
        try:
            with rt.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            database = "ok"
        except Exception as exc:  # any failure means "not reachable" to a health check
            database = f"unreachable: {exc.__class__.__name__}"
        backlog = rt.journal.backlog()
        status = 200 if database == "ok" else 503
        return jsonify(database=database, journal_backlog=backlog), status

    rt.writer.replay_soon()
    return app
