"""TwiML rendering with the line's voices and prompts."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Response
from twilio.twiml.voice_response import Gather, VoiceResponse

from contact_center.config import Settings
from contact_center.prompts import Prompts

LANGUAGE_ARG = "lang"  # the query argument that carries a call's language from step to step


def url(path: str, **query: Any) -> str:
    """A relative action URL with its query string (None values are left out)."""
    pairs = {key: str(value) for key, value in query.items() if value is not None}
    return f"{path}?{urlencode(pairs)}" if pairs else path


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


def render(response: VoiceResponse) -> Response:
    """The HTTP response Twilio expects: 200, XML, no leading whitespace."""
    return Response(response.to_xml(), status=200, mimetype="text/xml")
