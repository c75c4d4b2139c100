"""A gunicorn worker of `serve`, once it has built the app and before its first request."""

from __future__ import annotations

import gc
import signal
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from contact_center.cli.serve import _worker_ready, gunicorn_options


class _Cycle:
    """An object that only the cyclic collector frees."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """This test process's permanent generation, emptied again afterwards."""
    yield
    gc.unfreeze()


def test_a_worker_freezes_what_the_app_loaded_after_collecting_the_garbage(
        unfrozen: None, monkeypatch: pytest.MonkeyPatch) -> None:
    handlers: dict[int, Any] = {}
    monkeypatch.setattr(signal, "signal", lambda number, handler: handlers.setdefault(number, handler))
    garbage = _Cycle()
    gone = weakref.ref(garbage)
    del garbage
    alive = [[number] for number in range(10)]  # containers, which the collector tracks
    before = gc.get_freeze_count()
    _worker_ready(object())
    assert gone() is None  # collected, not frozen
    assert gc.get_freeze_count() >= before + len(alive)  # what lives is out of the collector's reach
    assert handlers == {signal.SIGHUP: signal.SIG_IGN}  # and a hangup is still left to the arbiter


def test_serve_runs_it_in_every_worker() -> None:
    assert gunicorn_options("127.0.0.1:8000", 2, 4, "json")["post_worker_init"] is _worker_ready
