"""The topic menu the operator step offers before routing: the service's five subjects.

It has no route of its own: the operator step renders it with its own URL as the Gather action,
so the key pressed comes back to the step that routes the call.
"""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from agents.roster import ROUTABLE_TOPICS
from ivr.flows.context import CallContext
from tickets.status import Topic
from tickets.vocabulary import label

ANY_TOPIC_KEY = "0"
TOPIC_KEYS = {str(key): topic for key, topic in enumerate(ROUTABLE_TOPICS, start=1)}
WORDS = {**{key: f"topic.{topic.value}" for key, topic in TOPIC_KEYS.items()}, ANY_TOPIC_KEY: "any_topic"}


def append_menu(ctx: CallContext, response: VoiceResponse, action: str, no_choice: str) -> None:
    """The topics in one Gather posting to `action`; silence goes on to `no_choice`."""
    gather = ctx.gather(response, num_digits=1, action=action, timeout=ctx.runtime.settings.ivr.gather_timeout_seconds)
    prompts = ctx.speaker.prompts
    words = prompts.group("tickets.")
    items = [prompts("topic_menu_item", label=label(topic, words), key=key) for key, topic in TOPIC_KEYS.items()]
    ctx.speaker.say_text(gather, " ".join([prompts("topic_menu_intro"), *items, prompts("topic_menu_any")]))
    response.redirect(no_choice)


def topic_for_key(digits: str) -> Topic | None:
    """The topic a key stands for (0: any topic), or None for any other input."""
    if digits == ANY_TOPIC_KEY:
        return Topic.OTHER
    return TOPIC_KEYS.get(digits)
