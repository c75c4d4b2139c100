"""The Flask app, the Twilio webhooks and the call flows of 800 840 840."""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    """`ivr.create_app`, imported on first use: the command line must not load the web app.

    `contact-center serve` sets PROMETHEUS_MULTIPROC_DIR before its workers import the app
    (see ivr.metrics).
    """
    if name == "create_app":
        from ivr.app import create_app

        return create_app
    raise AttributeError(f"module 'ivr' has no attribute {name!r}")
