"""TwiML rendering with the line's voices and prompts."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

from twilio.twiml.voice_response import Gather, VoiceResponse

from contact_center.config import Settings
from contact_center.prompts import Prompts

LANGUAGE_ARG = "lang"  # the query argument that carries a call's language from step to step


def url(path: str, **query: Any) -> str:
    """A relative action URL with its query string (None values are left out)."""
    pairs = tuple((key, str(value)) for key, value in query.items() if value is not None)
    return _with_query(path, pairs) if pairs else path


@lru_cache(maxsize=4096)
def _with_query(path: str, pairs: tuple[tuple[str, str], ...]) -> str:
    """A flow's action URLs are few (a step, a reason, an attempt, a language): each is encoded once."""
    return f"{path}?{urlencode(pairs)}"


class Speaker:
    """Says prompts by name, in the voice and language of its prompts (Italian or English)."""

    def __init__(self, settings: Settings, prompts: Prompts) -> None:
        self.voice, self.language = settings.line.voice_for(prompts.language)
        self.prompts = prompts

    def say(self, node: VoiceResponse | Gather, name: str, **values: Any) -> None:
        """Append the prompt `name` to a response or a Gather."""
        self.say_text(node, self.prompts(name, **values))

    def say_text(self, node: VoiceResponse | Gather, text: str) -> None:
        """Append a text that is already in this speaker's language."""
        node.say(text, voice=self.voice, language=self.language)


XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


def document(response: VoiceResponse) -> str:
    """`response.to_xml()`, character for character, serialized without ElementTree's writer.

    The twilio library builds the elements (`TwiML.xml()`); ElementTree's pure-Python writer then
    took five sixths of `to_xml()`'s time on every webhook. This writes the same tree the way it
    does (attributes in order, text and attributes escaped alike, `<Hangup />` for an empty
    element); anything it does not expect (a namespaced tag, a value that is not text) is left
    to `to_xml()`.
    """
    parts = [XML_DECLARATION]
    try:
        _write(parts, response.xml())
    except _Unexpected:
        return response.to_xml()
    return "".join(parts)


class _Unexpected(Exception):
    """Something ElementTree's own writer should handle (or refuse)."""


def _write(parts: list[str], element: ElementTree.Element) -> None:
    tag = element.tag
    if not isinstance(tag, str) or tag[:1] == "{":
        raise _Unexpected
    parts.append("<" + tag)
    for name, value in element.items():
        if not isinstance(value, str) or name[:1] == "{":
            raise _Unexpected
        parts.append(f' {name}="{_attribute(value)}"')
    text = element.text
    if text is not None and not isinstance(text, str):
        raise _Unexpected
    if text or len(element):
        parts.append(">")
        if text:
            parts.append(_character_data(text))
        for child in element:
            _write(parts, child)
        parts.append(f"</{tag}>")
    else:
        parts.append(" />")
    tail = element.tail
    if tail:
        if not isinstance(tail, str):
            raise _Unexpected
        parts.append(_character_data(tail))


# What ElementTree's writer replaces, in its order: in text, then in attribute values too.
_TEXT_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))
_ATTRIBUTE_ESCAPES = (*_TEXT_ESCAPES, ('"', "&quot;"), ("\r", "&#13;"), ("\n", "&#10;"), ("\t", "&#09;"))


def _escaped(text: str, escapes: tuple[tuple[str, str], ...]) -> str:
    for character, escape in escapes:
        if character in text:
            text = text.replace(character, escape)
    return text


def _character_data(text: str) -> str:
    return _escaped(text, _TEXT_ESCAPES)


def _attribute(value: str) -> str:
    return _escaped(value, _ATTRIBUTE_ESCAPES)
