"""ivr.twiml.document writes exactly what the twilio library's to_xml() writes, only faster; action URLs."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.twiml.voice_response import VoiceResponse

from ivr.twiml import document, url

# Text with everything XML escapes, in text and in attributes, and accented Italian.
TEXTS = st.text(alphabet=st.sampled_from(list("abc 123&<>\"'\r\n\tàèìòù€#*;=?/")), max_size=40)
ATTRIBUTE_VALUES = st.one_of(TEXTS, st.integers(-5, 60), st.booleans())


def _attributes(draw: Any) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(["action", "timeout", "num_digits", "voice", "language", "hints",
                                           "method", "finish_on_key", "play_beep", "max_length"]),
                          unique=True, max_size=4))
    return {name: draw(ATTRIBUTE_VALUES) for name in names}


@st.composite
def responses(draw: Any) -> VoiceResponse:
    response = VoiceResponse()
    for verb in draw(st.lists(st.sampled_from(["say", "gather", "redirect", "hangup", "pause", "record", "text"]),
                              max_size=6)):
        attributes = _attributes(draw)
        if verb == "say":
            response.say(draw(TEXTS), **{k: v for k, v in attributes.items() if k in ("voice", "language")})
        elif verb == "gather":
            gather = response.gather(**attributes)
            for _ in range(draw(st.integers(0, 3))):
                if draw(st.booleans()):
                    gather.say(draw(TEXTS))
                else:
                    gather.pause(length=draw(st.integers(1, 5)))
        elif verb == "redirect":
            response.redirect(draw(TEXTS), method="POST")
        elif verb == "hangup":
            response.hangup()
        elif verb == "pause":
            response.pause(length=draw(st.integers(0, 9)))
        elif verb == "record":
            response.record(**attributes)
        else:
            response.append(draw(TEXTS))  # bare text: the element's text or the last child's tail
    return response


@settings(max_examples=400, deadline=None)
@given(responses())
def test_document_is_character_for_character_what_to_xml_writes(response: VoiceResponse) -> None:
    assert document(response) == response.to_xml()


def test_a_menu_with_escaping_and_an_empty_element() -> None:
    response = VoiceResponse()
    gather = response.gather(num_digits=1, action="/voice/menu/choice?attempt=1&invalid=1", timeout=6)
    gather.say('Premi 1 per "operatore" & <altro>', voice="Polly.Bianca", language="it-IT")
    response.hangup()
    assert document(response) == (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        '<Gather action="/voice/menu/choice?attempt=1&amp;invalid=1" numDigits="1" timeout="6">'
        '<Say language="it-IT" voice="Polly.Bianca">Premi 1 per "operatore" &amp; &lt;altro&gt;</Say>'
        '</Gather><Hangup /></Response>')


def test_what_it_does_not_expect_is_left_to_the_library() -> None:
    response = VoiceResponse()
    response.say("ok")
    response.verbs[0].value = 112  # not text: ElementTree's writer refuses it, and so must we
    try:
        expected: Any = response.to_xml()
    except TypeError as error:
        expected = type(error)
    try:
        got: Any = document(response)
    except TypeError as error:
        got = type(error)
    assert got == expected


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["reason", "attempt", "lang", "digits", "q"]),
                       st.one_of(st.none(), TEXTS, st.integers(0, 12), st.booleans()), max_size=4))
def test_an_action_url_is_what_urlencode_makes_however_often_it_is_asked(query: dict[str, Any]) -> None:
    kept = {key: str(value) for key, value in query.items() if value is not None}
    expected = f"/voice/message?{urlencode(kept)}" if kept else "/voice/message"
    assert url("/voice/message", **query) == expected
    assert url("/voice/message", **query) == expected  # the second time from the cache
