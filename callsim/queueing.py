"""<Enqueue> and <Leave>: the caller's wait in a queue, its wait documents, and how it ends."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urljoin

from callsim.call_state import Cursor, Pending, QueueWait, method_of
from callsim.model import CallLoopError, SimulatorError, new_sid
from callsim.twiml import Node

if TYPE_CHECKING:
    from callsim.engine import Engine

DEFAULT_HOLD_MUSIC = "http://com.twilio.music.classical.s3.amazonaws.com/"


class Queueing:
    """Puts the caller in a queue, plays the wait documents, takes the caller out again."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.call = engine.call

    def enqueue(self, enqueue: Node, cursor: Cursor) -> Cursor | None:
        """The caller enters the queue: fetch the first wait document."""
        if enqueue.get("workflowSid"):
            raise SimulatorError("<Enqueue workflowSid> (TaskRouter) is not simulated")
        self.call.transcript.append(("enqueue", enqueue.text))
        self.call.queue = QueueWait(
            enqueue.text,
            new_sid("QU"),
            enqueue,
            cursor.document.url,
            cursor.next(),
            self.call.clock,
        )
        return self._wait_document()

    def leave_verb(self, leave: Node, cursor: Cursor) -> Cursor | None:
        """<Leave> in a wait document: the caller leaves the queue."""
        self.call.transcript.append(("leave",))
        return self.leave("leave")

    def advance(self, seconds: float) -> None:
        """Wait `seconds` more in the queue, re-requesting the wait document as Twilio does."""
        call = self.call
        call.documents_since_input = 0
        until = call.clock + seconds
        while call.waiting is not None and call.waiting.kind == "queue" and call.clock < until:
            if call.waiting.endless:
                call.clock = until
                return
            before = call.clock
            call.waiting = None
            self.engine.run(self._wait_document())
            if call.pending == "queue" and call.clock == before:
                raise CallLoopError("the wait document takes no time: Twilio would spin on it")

    def bridge(self, talk_seconds: int) -> None:
        """An operator takes the caller, talks `talk_seconds`; the <Enqueue> action follows."""
        self.call.transcript.append(("bridged", talk_seconds))
        self.call.clock += talk_seconds
        self.engine.run(self.leave("bridged"))

    def leave(self, result: str, run_action: bool = True) -> Cursor | None:
        """Take the caller out of the queue and post the <Enqueue> action with QueueResult."""
        call = self.call
        queue = call.queue
        assert queue is not None
        params = {
            "QueueResult": result,
            "QueueSid": queue.sid,
            "QueueTime": queue.waited(call.clock),
        }
        call.queue = None
        call.waiting = None
        action = queue.enqueue.get("action")
        if action is None:
            return queue.resume if run_action else None
        url, method = urljoin(queue.enqueue_url, action), method_of(queue.enqueue)
        if run_action:
            return self.engine.load(url, method, params)
        self.engine.load_ignored(url, method, params)
        return None

    def _wait_document(self) -> Cursor | None:
        queue = self.call.queue
        assert queue is not None
        wait_url = queue.enqueue.get("waitUrl")
        if wait_url is None:  # Twilio's default hold music, forever
            self.call.transcript.append(("play", DEFAULT_HOLD_MUSIC))
            self.call.waiting = Pending("queue", None, endless=True)
            return None
        method = queue.enqueue.get("waitUrlMethod", "POST") or "POST"
        return self.engine.load(urljoin(queue.enqueue_url, wait_url), method)
