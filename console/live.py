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

from flask import current_app, g, url_for

from agents.own import OwnPresence, own_presence
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


def my_presence() -> OwnPresence | None:
    """The signed-in operator's own presence and current call, read once per request (never shared)."""
    if "my_presence" not in g:
        rt = current_runtime()
        with rt.sessions() as db:
            g.my_presence = own_presence(db, g.account.name, rt.settings.routing.presence_policy(), rt.clock())
    mine: OwnPresence | None = g.my_presence
    return mine


def new_request_url(mine: OwnPresence | None) -> str | None:
    """«Nuova richiesta» prefilled for the operator's current call (channel phone, number, topic)."""
    if mine is None or mine.call is None:
        return None
    args = {"channel": "phone", "topic": mine.call.topic}
    if mine.call.caller_number:
        args["phone"] = mine.call.caller_number
    return url_for("console.new_request", **args)


def personal_json(mine: OwnPresence | None) -> dict[str, Any] | None:
    """The operator's own part of /console/live: their state and the call ringing them or in progress."""
    if mine is None:
        return None
    call = None
    if mine.call is not None:
        call = {"number": mine.call.caller_number, "withheld": mine.call.withheld, "topic": mine.call.topic,
                "language": mine.call.language, "new_request": new_request_url(mine)}
    return {"key": mine.key, "state": mine.state.value, "call": call}


def personal_tag(shared_tag: str, mine: OwnPresence | None) -> str:
    """The tag of a poll's answer: the shared state's, changed by the operator's own state and call."""
    if mine is None:
        return shared_tag
    mixed = json.dumps([shared_tag, personal_json(mine)], sort_keys=True).encode()
    return hashlib.sha256(mixed).hexdigest()[:20]


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
    me: str


def page_marks() -> PageMarks:
    """The marks a page is rendered with: cheap primary-key maxima and the roster's mark.

    Only a page that has just counted the list (g.live_counts) carries the full tag, so that its
    first poll answers 304; any other page keeps its own cost (the badge's due count) and learns
    the tag from its first poll.
    """
    mine = my_presence()
    me = mine.key if mine else ""
    if "live_counts" in g:
        state = live_state()
        return PageMarks(personal_tag(state.tag, mine), state.newest_message, state.presence, me)
    with current_runtime().sessions() as db:
        _, message, _ = worklist.change_marks(db)
        return PageMarks("", message, presence_mark(db), me)


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
