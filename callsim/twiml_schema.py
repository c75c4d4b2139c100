"""The TwiML schema: which attributes, children and text each element may hold, and their checks."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

# --- attribute value checks -------------------------------------------------------------

Check = Callable[[str], bool]


def _any(value: str) -> bool:
    return True


def _url(value: str) -> bool:
    return bool(value.strip())


def _integer(minimum: int = 0, maximum: int | None = None) -> Check:
    def check(value: str) -> bool:
        if not re.fullmatch(r"\d+", value):
            return False
        return int(value) >= minimum and (maximum is None or int(value) <= maximum)

    return check


def _one_of(*allowed: str) -> Check:
    return lambda value: value in allowed


def _words_of(*allowed: str) -> Check:
    return lambda value: bool(value.split()) and set(value.split()) <= set(allowed)


def _keys(max_length: int | None) -> Check:
    def check(value: str) -> bool:
        fits = max_length is None or len(value) <= max_length
        return fits and all(key in "0123456789*#" for key in value)

    return check


def _dtmf_sequence(value: str) -> bool:
    return bool(value) and all(key in "0123456789*#w" for key in value)


_method = _one_of("GET", "POST")
_boolean = _one_of("true", "false")
_CALL_EVENTS = _words_of("initiated", "ringing", "answered", "completed")
_RECORDING_EVENTS = _words_of("in-progress", "completed", "absent")
_AMD = {
    "machineDetection": _one_of("Enable", "DetectMessageEnd"),
    "machineDetectionTimeout": _integer(3, 59),
    "machineDetectionSpeechThreshold": _integer(1000, 6000),
    "machineDetectionSpeechEndThreshold": _integer(500, 5000),
    "machineDetectionSilenceTimeout": _integer(2000, 10000),
    "amdStatusCallback": _url,
    "amdStatusCallbackMethod": _method,
}
_LEG_CALLBACKS = {
    "url": _url,
    "method": _method,
    "statusCallback": _url,
    "statusCallbackEvent": _CALL_EVENTS,
    "statusCallbackMethod": _method,
}


# --- the schema -------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """What an element may hold; `attributes=None` accepts any attribute."""

    attributes: Mapping[str, Check] | None = field(default_factory=dict)
    children: frozenset[str] = frozenset()
    text: bool = False  # may it hold non-blank text?
    rule: Callable[[ET.Element], str | None] | None = None  # cross-field check


def direct_text(element: ET.Element) -> str:
    """The element's own text, outside its children."""
    return ((element.text or "") + "".join(child.tail or "" for child in element)).strip()


def _dial_rule(element: ET.Element) -> str | None:
    has_number = bool(direct_text(element))
    if has_number == bool(len(element)):
        return "<Dial> needs either a number as text or nouns, not both or neither"
    return None


def _play_rule(element: ET.Element) -> str | None:
    if not direct_text(element) and "digits" not in element.attrib:
        return "<Play> needs a URL or a digits attribute"
    return None


def _required_text(name: str) -> Callable[[ET.Element], str | None]:
    def rule(element: ET.Element) -> str | None:
        return None if direct_text(element) else f"<{name}> needs text"

    return rule


def _enqueue_rule(element: ET.Element) -> str | None:
    if not direct_text(element) and "workflowSid" not in element.attrib:
        return "<Enqueue> needs a queue name (or a workflowSid)"
    return None


SSML_ELEMENTS = frozenset(
    {"break", "emphasis", "lang", "p", "phoneme", "prosody", "s", "say-as", "sub", "w"}
)
SSML_SPEC = Spec(attributes=None, children=SSML_ELEMENTS, text=True)
_PROMPTS = frozenset({"Say", "Play", "Pause"})
_PARAMETER = Spec({"name": _any, "value": _any})

SPECS: dict[str, Spec] = {
    "Say": Spec(
        {"voice": _any, "language": _any, "loop": _integer(0)}, SSML_ELEMENTS, text=True
    ),
    "Play": Spec({"loop": _integer(0), "digits": _dtmf_sequence}, text=True, rule=_play_rule),
    "Pause": Spec({"length": _integer(0)}),
    "Gather": Spec(
        {
            "action": _url,
            "method": _method,
            "timeout": _integer(1),
            "finishOnKey": _keys(1),
            "numDigits": _integer(1),
            "input": _words_of("dtmf", "speech"),
            "speechTimeout": lambda v: v == "auto" or _integer(0)(v),
            "maxSpeechTime": _integer(1),
            "profanityFilter": _boolean,
            "language": _any,
            "hints": _any,
            "bargeIn": _boolean,
            "debug": _boolean,
            "actionOnEmptyResult": _boolean,
            "speechModel": _any,
            "enhanced": _boolean,
            "partialResultCallback": _url,
            "partialResultCallbackMethod": _method,
        },
        _PROMPTS,
    ),
    "Record": Spec(
        {
            "action": _url,
            "method": _method,
            "timeout": _integer(0),
            "finishOnKey": _keys(None),
            "maxLength": _integer(1),
            "playBeep": _boolean,
            "trim": _one_of("trim-silence", "do-not-trim"),
            "recordingStatusCallback": _url,
            "recordingStatusCallbackMethod": _method,
            "recordingStatusCallbackEvent": _RECORDING_EVENTS,
            "transcribe": _boolean,
            "transcribeCallback": _url,
            "recordingChannels": _one_of("mono", "dual"),
        }
    ),
    "Dial": Spec(
        {
            "action": _url,
            "method": _method,
            "timeout": _integer(1),
            "hangupOnStar": _boolean,
            "timeLimit": _integer(1),
            "callerId": _any,
            "record": _one_of(
                "true",
                "false",
                "do-not-record",
                "record-from-answer",
                "record-from-ringing",
                "record-from-answer-dual",
                "record-from-ringing-dual",
            ),
            "trim": _one_of("trim-silence", "do-not-trim"),
            "recordingStatusCallback": _url,
            "recordingStatusCallbackMethod": _method,
            "recordingStatusCallbackEvent": _RECORDING_EVENTS,
            "answerOnBridge": _boolean,
            "ringTone": _any,
            "recordingTrack": _one_of("both", "inbound", "outbound"),
            "sequential": _boolean,
            "referUrl": _url,
            "referMethod": _method,
            "events": _any,
        },
        frozenset({"Number", "Client", "Sip", "Queue", "Conference"}),
        text=True,
        rule=_dial_rule,
    ),
    "Number": Spec(
        {"sendDigits": _dtmf_sequence, "byoc": _any, **_LEG_CALLBACKS, **_AMD},
        text=True,
        rule=_required_text("Number"),
    ),
    "Client": Spec(_LEG_CALLBACKS, frozenset({"Identity", "Parameter"}), text=True),
    "Identity": Spec(text=True, rule=_required_text("Identity")),
    "Parameter": _PARAMETER,
    "Sip": Spec(
        {"username": _any, "password": _any, **_LEG_CALLBACKS, **_AMD},
        text=True,
        rule=_required_text("Sip"),
    ),
    "Queue": Spec(
        {"url": _url, "method": _method, "reservationSid": _any, "postWorkActivitySid": _any},
        text=True,
        rule=_required_text("Queue"),
    ),
    "Conference": Spec(attributes=None, text=True, rule=_required_text("Conference")),
    "Enqueue": Spec(
        {
            "action": _url,
            "method": _method,
            "waitUrl": _url,
            "waitUrlMethod": _method,
            "workflowSid": _any,
            "maxQueueSize": _integer(1),
        },
        frozenset({"Task"}),
        text=True,
        rule=_enqueue_rule,
    ),
    "Task": Spec({"priority": _integer(0), "timeout": _integer(1)}, text=True),
    "Redirect": Spec({"method": _method}, text=True, rule=_required_text("Redirect")),
    "Hangup": Spec(children=frozenset({"Parameter"})),
    "Reject": Spec({"reason": _one_of("rejected", "busy")}, frozenset({"Parameter"})),
    "Leave": Spec(),
    "Sms": Spec(
        {"to": _any, "from": _any, "action": _url, "method": _method, "statusCallback": _url},
        text=True,
    ),
    "Message": Spec(
        {"to": _any, "from": _any, "action": _url, "method": _method, "statusCallback": _url},
        text=True,
    ),
}

# Real Twilio verbs the simulator does not play: a document using them is refused loudly.
UNSUPPORTED_VERBS = frozenset({"Refer", "Connect", "Start", "Stop", "Pay", "Prompt", "Echo"})
