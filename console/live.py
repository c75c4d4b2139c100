"""What a console page shows that changes while it is open: counts, the newest message, presence.

Pages carry this state's tag; console/static/live.js asks /console/live every few seconds with
If-None-Match and gets 304 while nothing changed. Three small queries a poll (the counts on the
status index, three primary-key maxima, one aggregate over the roster): no stream holds a
worker thread, so open consoles never starve the webhooks. The polls share one reading per
worker for CONSOLE_LIVE_CACHE_SECONDS (app config, default 1 s): fifty consoles polling every
3 s cost each worker about one reading a second, not seventeen.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from threading import Lock
from typing import Any

from flask import current_app, g

from agents.roster import presence_mark
from contact_center.runtime import current_runtime
from voicemail import worklist

DEFAULT_CACHE_SECONDS = 1.0


@dataclass(frozen=True)
class LiveState:
    """The counts by view, the newest entry/message/attempt ids and the roster's mark."""

    counts: dict[str, int]
    newest_entry: int
    newest_message: int
    newest_attempt: int
    presence: str

    def as_json(self) -> dict[str, Any]:
        return {"counts": self.counts, "due": self.counts["due"], "newest_entry": self.newest_entry,
                "newest_message": self.newest_message, "newest_attempt": self.newest_attempt,
                "presence": self.presence}

    @property
    def tag(self) -> str:
        """The entity tag of this state (unquoted)."""
        return hashlib.sha256(json.dumps(self.as_json(), sort_keys=True).encode()).hexdigest()[:20]


def live_state() -> LiveState:
    """This request's live state, read once (the header's badge uses its due count).

    A view that has just counted the list leaves its counts in `g.live_counts` so they are not read twice.
    """
    if "live_state" not in g:
        with current_runtime().sessions() as db:
            counts = g.get("live_counts") or worklist.counts(db, current_runtime().clock())
            entry, message, attempt = worklist.change_marks(db)
            g.live_state = LiveState(counts, entry, message, attempt, presence_mark(db))
        g.due_count = g.live_state.counts["due"]
    state: LiveState = g.live_state
    return state


@dataclass(frozen=True)
class PageMarks:
    """What a page carries for its script: the live tag when the page counted the list, the newest message, presence."""

    tag: str
    newest_message: int
    presence: str


def page_marks() -> PageMarks:
    """The marks a page is rendered with: cheap primary-key maxima and the roster's mark.

    Only a page that has just counted the list (g.live_counts) carries the full tag, so that its
    first poll answers 304; any other page keeps its own cost (the badge's due count) and learns
    the tag from its first poll.
    """
    if "live_counts" in g:
        state = live_state()
        return PageMarks(state.tag, state.newest_message, state.presence)
    with current_runtime().sessions() as db:
        _, message, _ = worklist.change_marks(db)
        return PageMarks("", message, presence_mark(db))


class _SharedReading:
    """The latest live state read by this worker for the polls, and when (monotonic seconds)."""

    def __init__(self) -> None:
        self.lock = Lock()
        self.state: LiveState | None = None
        self.read_at = 0.0


def polled_live_state() -> LiveState:
    """The live state for a poll: this worker's reading if it is younger than the cache time, else a new one."""
    shared = current_app.extensions.get("console_live_state")
    if shared is None:
        shared = current_app.extensions.setdefault("console_live_state", _SharedReading())
    seconds = float(current_app.config.get("CONSOLE_LIVE_CACHE_SECONDS", DEFAULT_CACHE_SECONDS))
    with shared.lock:
        if shared.state is not None and time.monotonic() - shared.read_at < seconds:
            return shared.state  # type: ignore[no-any-return]
    state = live_state()
    with shared.lock:
        shared.state, shared.read_at = state, time.monotonic()
    return state
