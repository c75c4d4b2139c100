"""The application: configuration, runtime, app factory, command line and observability.

It is the only package that knows every face (`ivr`, `console`, `selfservice`) and assembles
them. Its lower floor (`config`, `runtime`, `prompts`, `schedule`, `durable`, `services`,
`twilio_rest`, `hours_publication`, `links`, `json_api`) is what the faces are handed; its upper floor (`app`,
`cli`, `observability`, `metrics`, `logs`, `body_limit`) builds and runs the service.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    """`contact_center.create_app`, imported on first use: the command line must not load the web app.

    `contact-center serve` sets PROMETHEUS_MULTIPROC_DIR before its workers import the app
    (see contact_center.metrics).
    """
    if name == "create_app":
        from contact_center.app import create_app

        return create_app
    raise AttributeError(f"module 'contact_center' has no attribute {name!r}")
