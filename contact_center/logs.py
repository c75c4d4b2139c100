"""Logs for operations: one JSON object per line, carrying the CallSid of the call being served."""

from __future__ import annotations

import json
import logging
import logging.config
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

current_call_sid: ContextVar[str] = ContextVar("current_call_sid", default="")

_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "call_sid", "taskName"}
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(call_sid)s]: %(message)s"
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)  # made once, not on every line


@contextmanager
def call_sid_context(call_sid: str) -> Iterator[None]:
    """Every line logged inside the block names this call."""
    token = current_call_sid.set(call_sid)
    try:
        yield
    finally:
        current_call_sid.reset(token)


class CallSidFilter(logging.Filter):
    """Adds `call_sid` (the call being served by this thread, or "") to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "call_sid", ""):
            record.call_sid = current_call_sid.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, call_sid, extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        call_sid = getattr(record, "call_sid", "")
        if call_sid:
            payload["call_sid"] = call_sid
        payload.update({key: value for key, value in vars(record).items() if key not in _RECORD_ATTRIBUTES})
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return _ENCODER.encode(payload)


def logging_config(log_format: str = "json", level: str = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` mapping: root and gunicorn's loggers on stderr in `log_format`.

    Loggers created before it is applied stay enabled (the app's modules are imported first).
    gunicorn's access log stays quiet (it would log every request a second time, without the
    CallSid): the app logs one line per webhook itself.
    """
    formatter: dict[str, Any] = ({"()": JsonFormatter} if log_format == "json"
                                 else {"format": TEXT_FORMAT})
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"call_sid": {"()": CallSidFilter}},
        "formatters": {"service": formatter},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "stream": sys.stderr,
                                "formatter": "service", "filters": ["call_sid"]}},
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": True},
        },
    }


def configure_logging(log_format: str = "json", level: str = "INFO") -> None:
    """Send every log line of this process to stderr in `log_format`, with the CallSid.

    Neither format prints the source line, thread or process of a record, so the logging module
    is told not to look them up on every line (the logging HOWTO's "Optimization" section): a
    webhook logs one line per request.
    """
    logging.config.dictConfig(logging_config(log_format, level))
    logging._srcfile = None  # type: ignore[attr-defined]  # no stack walk for funcName/lineno
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False

