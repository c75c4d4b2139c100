"""What operations see of the running app: per-webhook log lines and metrics, /metrics."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, abort, request
from prometheus_client import CONTENT_TYPE_LATEST

from contact_center.logs import current_call_sid
from contact_center.metrics import Metrics, bearer_token_matches
from contact_center.runtime import current_runtime
from ivr import webhooks
from ivr.webhooks import Answer, Observer

log = logging.getLogger("ivr.access")

EXTENSION = "contact_center_metrics"


def init_app(app: Flask) -> None:
    """Time and log every webhook under its CallSid, and serve /metrics behind the bearer token."""
    runtime = current_runtime(app)
    metrics = Metrics(runtime)
    app.extensions[EXTENSION] = metrics
    webhooks.webhooks_of(app).observe = _observer(metrics)

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


def _observer(metrics: Metrics) -> Observer:
    """Time, count and log every webhook answer, with the call's CallSid on every line logged meanwhile."""

    def observe(route: str, call_sid: str, answer: Callable[[], Answer]) -> Answer:
        started = time.perf_counter()
        token = current_call_sid.set(call_sid)
        try:
            answered = answer()
            seconds = time.perf_counter() - started
            metrics.observe(route, answered.status, seconds)
            if answered.apologised:
                metrics.apologies.labels(route).inc()
            log.info("POST %s %d", route, answered.status,
                     extra={"route": route, "status": answered.status, "duration_ms": round(seconds * 1000, 2)})
            return answered
        finally:
            current_call_sid.reset(token)

    return observe
