"""The engine: plays a call's documents verb by verb, the way Twilio does, fetching each from the app."""

from __future__ import annotations

from collections.abc import Callable

from callsim.call_state import CallState, Cursor, Pending, method_of
from callsim.callbacks import Callbacks
from callsim.dialing import Dialer
from callsim.model import CallLoopError, RequestLog, SimulatorError
from callsim.prompts import Prompts
from callsim.queueing import Queueing
from callsim.recording import Recorder
from callsim.twiml import Context, Document, Node, TwimlError
from callsim.twiml_schema import UNSUPPORTED_VERBS

STOCK_ERROR_MESSAGE = "We are sorry, an application error has occurred. Goodbye."
MAX_DOCUMENTS_WITHOUT_INPUT = 100

# Plays one verb; returns where the call goes on, or None when it stops (waits or ends).
VerbPlayer = Callable[[Node, Cursor], Cursor | None]


class Engine:
    """Runs a call's TwiML: one player per verb family, the documents, the call's end."""

    def __init__(self, call: CallState) -> None:
        self.call = call
        self.callbacks = Callbacks(call)
        self.prompts = Prompts(self)
        self.recorder = Recorder(self)
        self.dialer = Dialer(self)
        self.queueing = Queueing(self)
        self._players: dict[str, VerbPlayer] = {
            "Say": self.prompts.play,
            "Play": self.prompts.play,
            "Pause": self.prompts.play,
            "Gather": self.prompts.gather,
            "Record": self.recorder.start,
            "Dial": self.dialer.dial,
            "Enqueue": self.queueing.enqueue,
            "Leave": self.queueing.leave_verb,
            "Redirect": self._redirect,
            "Hangup": self._hangup,
            "Reject": self._reject,
            "Sms": self._ignore_message,
            "Message": self._ignore_message,
        }

    def start(self) -> None:
        """Ring the app's Voice URL and play until the caller is needed."""
        cursor = self.load(self.call.settings.voice_url)
        if not self.call.ended:
            self.call.status = "in-progress"
        self.run(cursor)

    def run(self, cursor: Cursor | None) -> None:
        """Play from `cursor` until the call waits for the caller or ends."""
        while cursor is not None and not self.call.ended:
            verb = cursor.verb()
            if verb is None:
                self._document_finished()
                return
            if verb.name in UNSUPPORTED_VERBS:
                raise SimulatorError(f"<{verb.name}> is not simulated ({cursor.document.url})")
            cursor = self._players[verb.name](verb, cursor)

    def end(self, status: str) -> None:
        """The call is over: nothing is pending and the status callback goes out."""
        self.call.status = status
        self.call.waiting = None
        self.callbacks.final_status()

    def _document_finished(self) -> None:
        """The document has no more verbs: the call ends, or the queue wait starts over."""
        if self.call.queue is not None:
            self.call.waiting = Pending("queue", None)  # Twilio will re-request the wait URL
        else:
            self.end("completed")

    # --- documents --------------------------------------------------------------------

    def load(
        self, url: str, method: str = "POST", extra: dict[str, str] | None = None
    ) -> Cursor | None:
        """Fetch the call's next document; on failure, the fallback or the stock goodbye."""
        self.count_document()
        params = {**self.call.params(), **(extra or {})}
        request = self.call.webhooks.send(method, url, params)
        context = Context.QUEUE_WAIT if self.call.queue is not None else Context.CALL
        try:
            return Cursor(self.document(request, context, url))
        except TwimlError as error:
            self.call.error(error.code, url, error.detail)
            if self.call.queue is not None:
                return self.queueing.leave("error")
            return self._fall_back(params, error.code, url)

    def load_action(self, verb: Node, cursor: Cursor, params: dict[str, str]) -> Cursor | None:
        """Request the verb's action with `params`."""
        return self.load(cursor.action_url(verb), method_of(verb), params)

    def load_ignored(self, url: str, method: str, extra: dict[str, str]) -> None:
        """Request a document after the caller hung up: checked, never played."""
        request = self.call.webhooks.send(method, url, {**self.call.params(), **extra})
        try:
            self.document(request, Context.CALL, url)
        except TwimlError as error:
            self.call.error(error.code, url, error.detail)

    def document(self, request: RequestLog, context: Context, url: str) -> Document:
        """The document in a response, its schema warnings logged as 12200."""
        document = self.call.webhooks.document(request, context, url)
        for warning in document.warnings:
            self.call.error(12200, url, warning, warning=True)
        return document

    def count_document(self) -> None:
        """One more document without caller input; too many and the call fails as a loop."""
        self.call.documents_since_input += 1
        if self.call.documents_since_input > MAX_DOCUMENTS_WITHOUT_INPUT:
            self.end("failed")
            raise CallLoopError(
                f"more than {MAX_DOCUMENTS_WITHOUT_INPUT} documents without caller input"
            )

    def _fall_back(self, params: dict[str, str], code: int, failed_url: str) -> Cursor | None:
        fallback_url = self.call.settings.fallback_url
        if fallback_url is not None:
            details = {"ErrorCode": str(code), "ErrorUrl": failed_url}
            request = self.call.webhooks.send("POST", fallback_url, {**params, **details})
            try:
                return Cursor(self.document(request, Context.CALL, fallback_url))
            except TwimlError as error:
                self.call.error(error.code, fallback_url, error.detail)
        self.call.transcript.append(("say", STOCK_ERROR_MESSAGE, "woman", "en-US"))
        self.end("completed")
        return None

    # --- the verbs that steer the call: Redirect, Hangup, Reject, Sms/Message ------------

    def _redirect(self, redirect: Node, cursor: Cursor) -> Cursor | None:
        url = cursor.resolve(redirect.text)
        self.call.transcript.append(("redirect", url))
        if self.call.queue is not None:  # out of the queue; the Redirect takes over the call
            self.queueing.leave("redirected", run_action=False)
        return self.load(url, method_of(redirect))

    def _hangup(self, hangup: Node, cursor: Cursor) -> None:
        self.call.transcript.append(("hangup",))
        if self.call.queue is not None:
            self.queueing.leave("hangup", run_action=False)
        self.end("completed")

    def _reject(self, reject: Node, cursor: Cursor) -> None:
        reason = reject.get("reason", "rejected") or "rejected"
        self.call.transcript.append(("reject", reason))
        self.end("busy" if reason == "busy" else "no-answer")

    def _ignore_message(self, message: Node, cursor: Cursor) -> Cursor:
        self.call.transcript.append(
            ("note", f"<{message.name}> ignored: no text messages in a call")
        )
        return cursor.next()
