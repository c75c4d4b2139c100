"""<Dial>: ringing the targets, the whisper on the answering leg, the bridge, the legs' callbacks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from callsim.call_state import Cursor, method_of
from callsim.model import DialInfo, DialOutcome, DialTarget, SimulatorError, new_sid
from callsim.prompts import gather_entry, play_prompt
from callsim.twiml import Context, Document, Node, TwimlError

if TYPE_CHECKING:
    from callsim.engine import Engine

RING_SECONDS = 5.0  # ringing before a dialled party answers


def dial_targets(dial: Node) -> tuple[DialTarget, ...]:
    """The parties a <Dial> rings: its number text, or its nouns."""
    if dial.text:
        return (DialTarget("Number", dial.text),)
    return tuple(_target(noun) for noun in dial.children)


def _target(noun: Node) -> DialTarget:
    if noun.name == "Client":
        identities = [child.text for child in noun.children if child.name == "Identity"]
        return DialTarget("Client", "client:" + (noun.text or "".join(identities)), noun.attrs)
    return DialTarget(noun.name, noun.text, noun.attrs)


@dataclass
class Leg:
    """A child call leg created by <Dial>."""

    target: DialTarget
    params: dict[str, str]
    sequence: int = 0


@dataclass
class Connection:
    """How a <Dial> ended, as its action reports it."""

    status: str
    leg: Leg
    duration: int = 0
    bridged: bool = False


# A whisper document's verdict ("accepted", "refused" or "failed"), or the next one to fetch.
WhisperStep = str | tuple[str, str, dict[str, str]]


class Dialer:
    """Plays <Dial>: one child leg per target, the outcome scripted by the simulator."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.call = engine.call

    def dial(self, dial: Node, cursor: Cursor) -> Cursor | None:
        """Ring the targets, connect the answering one, and post the action."""
        call = self.call
        targets = dial_targets(dial)
        call.transcript.append(("dial", [target.address for target in targets]))
        outcome = call.settings.next_dial_outcome(DialInfo(call.sid, targets, dial.attrs))
        if outcome.answered_by_index >= len(targets):
            raise SimulatorError(
                f"answered_by_index {outcome.answered_by_index} but the <Dial> rings "
                f"{len(targets)} target(s)"
            )
        legs = [self._new_leg(target, dial) for target in targets]
        for leg in legs:
            self._leg_event(leg, "initiated", "initiated", cursor)
            if outcome.status != "failed":
                self._leg_event(leg, "ringing", "ringing", cursor)
        connection = self._connect(dial, legs, outcome, cursor)
        for leg in legs:
            status: str
            if outcome.status != "completed":
                status, duration = outcome.status, 0
            elif leg is connection.leg:
                status, duration = "completed", connection.duration
            else:
                status, duration = "canceled", 0  # another target answered first
            self._leg_event(leg, "completed", status, cursor, {"CallDuration": str(duration)})
        if dial.get("action") is None:
            return cursor.next()
        params = {
            "DialCallStatus": connection.status,
            "DialCallSid": connection.leg.params["CallSid"],
            "DialCallDuration": str(connection.duration),
            "DialBridged": "true" if connection.bridged else "false",
        }
        return self.engine.load_action(dial, cursor, params)

    def _new_leg(self, target: DialTarget, dial: Node) -> Leg:
        caller_id = dial.get("callerId") or self.call.from_
        return Leg(
            target,
            {
                "AccountSid": self.call.settings.account_sid,
                "ApiVersion": "2010-04-01",
                "CallSid": new_sid("CA"),
                "ParentCallSid": self.call.sid,
                "Direction": "outbound-dial",
                "From": caller_id,
                "Caller": caller_id,
                "To": target.address,
                "Called": target.address,
                "CallStatus": "in-progress",
            },
        )

    def _connect(
        self, dial: Node, legs: list[Leg], outcome: DialOutcome, cursor: Cursor
    ) -> Connection:
        """Ring, run the whisper on the answering leg, bridge; report how it ended."""
        call = self.call
        leg = legs[outcome.answered_by_index]
        if outcome.status != "completed":
            ring = dial.get_int("timeout", 30) if outcome.status == "no-answer" else 1
            call.clock += ring
            return Connection(outcome.status, leg)
        call.clock += RING_SECONDS
        self._leg_event(leg, "answered", "in-progress", cursor)
        answered_at = call.clock
        whisper = leg.target.attrs.get("url")
        verdict = "accepted"
        if whisper is not None:
            verdict = self._whisper(cursor.resolve(whisper), leg, outcome)
        if verdict != "accepted":
            status = "no-answer" if verdict == "refused" else "failed"
            return Connection(status, leg, round(call.clock - answered_at))
        talk = min(outcome.talk_seconds, dial.get_int("timeLimit", 14400))
        call.clock += talk
        return Connection("completed", leg, round(call.clock - answered_at), bridged=True)

    # --- the whisper: the callee's own documents, before the bridge ----------------------

    def _whisper(self, url: str, leg: Leg, outcome: DialOutcome) -> str:
        """Run the callee's whisper document: "accepted", "refused" (hung up) or "failed"."""
        keys = list(outcome.whisper_keys)
        method = leg.target.attrs.get("method", "POST")
        extra: dict[str, str] = {}
        while True:
            self.engine.count_document()
            request = self.call.webhooks.send(method, url, {**leg.params, **extra})
            try:
                document = self.engine.document(request, Context.WHISPER, url)
            except TwimlError as error:
                self.call.error(error.code, url, error.detail)
                return "failed"
            step = self._run_whisper(document, keys)
            if isinstance(step, str):
                return step
            url, method, extra = step

    def _run_whisper(self, document: Document, keys: list[str]) -> WhisperStep:
        """Play a whisper document: a verdict, or the (url, method, params) to fetch next."""
        heard = self.call.operator_transcript
        for verb in document.verbs:
            if verb.name in ("Say", "Play", "Pause"):
                if play_prompt(self.call, verb, heard, document.url):
                    raise SimulatorError(f"the whisper at {document.url} plays forever")
            elif verb.name == "Gather":
                heard.append(("gather", dict(verb.attrs)))
                for prompt in verb.children:
                    play_prompt(self.call, prompt, heard, document.url)
                entry = gather_entry(verb, keys.pop(0) if keys else "")
                if entry.digits or verb.get_bool("actionOnEmptyResult", False):
                    action = urljoin(document.url, verb.get("action") or document.url)
                    return action, method_of(verb), {"Digits": entry.digits}
                self.call.clock += verb.get_int("timeout", 5)
            elif verb.name == "Redirect":
                return urljoin(document.url, verb.text), method_of(verb), {}
            else:  # <Hangup> or <Reject>: the callee refuses the call
                heard.append(("hangup",))
                return "refused"
        return "accepted"

    # --- the legs' status callbacks ---------------------------------------------------

    def _leg_event(
        self,
        leg: Leg,
        event: str,
        call_status: str,
        cursor: Cursor,
        extra: dict[str, str] | None = None,
    ) -> None:
        """Post a child leg's statusCallback if it subscribed to `event`."""
        url = leg.target.attrs.get("statusCallback")
        events = (leg.target.attrs.get("statusCallbackEvent") or "completed").split()
        if url is None or event not in events:
            return
        params = {
            **leg.params,
            "CallStatus": call_status,
            "CallbackSource": "call-progress-events",
            "SequenceNumber": str(leg.sequence),
            "Timestamp": self.call.timestamp(),
            **(extra or {}),
        }
        leg.sequence += 1
        method = leg.target.attrs.get("statusCallbackMethod", "POST")
        self.engine.callbacks.notify(cursor.resolve(url), method, params)
