"""What operations see of the running app: per-webhook log lines and metrics, /metrics."""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, Response, abort, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST

from contact_center.logs import current_call_sid
from contact_center.metrics import Metrics, bearer_token_matches
from contact_center.runtime import current_runtime
from ivr.webhooks import APOLOGY_FLAG, WEBHOOK_PREFIX

log = logging.getLogger("ivr.access")

EXTENSION = "contact_center_metrics"


def init_app(app: Flask) -> None:
    """Time and log every webhook under its CallSid, and serve /metrics behind the bearer token."""
    runtime = current_runtime(app)
    metrics = Metrics(runtime)
    app.extensions[EXTENSION] = metrics
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_forget_call)

    @app.get("/metrics")
    def prometheus_metrics() -> Any:
        """Prometheus scrape endpoint; 404 when no token is configured, 401 without it."""
        token = runtime.settings.operations.metrics_token
        if not token:
            abort(404)
        if not bearer_token_matches(request.headers.get("Authorization"), token):
            return Response("a bearer token is required\n", 401, {"WWW-Authenticate": 'Bearer realm="metrics"'},
                            mimetype="text/plain")
        return Response(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)


def _start() -> None:
    """Note when the request began and, for a webhook, which call it serves.

    Reading the form here refuses an oversized body (413) before any other work: werkzeug
    checks Content-Length first and stops a chunked body once it passes the limit.
    """
    req, state = request._get_current_object(), g._get_current_object()  # type: ignore[attr-defined]
    state.started_at = time.perf_counter()
    if req.method == "POST" and req.path.startswith(WEBHOOK_PREFIX):
        state.call_sid_token = current_call_sid.set(req.form.get("CallSid", "")[:64])


def _finish(response: Response) -> Response:
    req = request._get_current_object()  # type: ignore[attr-defined]  # one lookup, not one per attribute
    rule = req.url_rule
    if rule is not None and req.path.startswith(WEBHOOK_PREFIX):
        state = g._get_current_object()  # type: ignore[attr-defined]
        seconds = time.perf_counter() - getattr(state, "started_at", time.perf_counter())
        current_app.extensions[EXTENSION].observe(rule.rule, response.status_code, seconds)
        if getattr(state, APOLOGY_FLAG, False):
            _count_apology(rule.rule)
        log.info("%s %s %d", req.method, req.path, response.status_code,
                 extra={"route": rule.rule, "status": response.status_code, "duration_ms": round(seconds * 1000, 2)})
    return response


def _forget_call(_error: BaseException | None) -> None:
    token = g.pop("call_sid_token", None)
    if token is not None:
        current_call_sid.reset(token)


def _count_apology(route: str) -> None:
    """Count a webhook whose step failed and that answered with the apology."""
    current_app.extensions[EXTENSION].apologies.labels(route).inc()
