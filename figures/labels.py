"""The dossier's Italian labels, read from figures/templates/labels.yaml."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Final

import yaml

from tickets.status import Channel, Topic
from tickets.vocabulary import label as ticket_label
from tickets.vocabulary import language_label

TEMPLATES_DIR: Final = Path(__file__).with_name("templates")


@cache
def _labels() -> dict[str, dict[str, str]]:
    """Every label, by kind and key."""
    with (TEMPLATES_DIR / "labels.yaml").open(encoding="utf-8") as file:
        loaded: dict[str, dict[str, str]] = yaml.safe_load(file)
    return loaded


def text(kind: str, key: str) -> str:
    """The label of `key` in `kind` (outcome, summary, column, chart, callback, problem)."""
    return _labels()[kind][key]


def outcome(key: str) -> str:
    """The label of a call outcome; an outcome with no label shows its key."""
    return _labels()["outcome"].get(key, key)


def _capitalized(text: str) -> str:
    """The text with its first letter in upper case, the rest untouched."""
    return text[:1].upper() + text[1:]


def topic(key: str) -> str:
    """The Italian label of a ticket topic."""
    try:
        return _capitalized(ticket_label(Topic(key)))
    except ValueError:
        return key


def language(key: str) -> str:
    """The Italian name of a caller's language ("it": "Italiano")."""
    return _capitalized(language_label(key))


def channel(key: str) -> str:
    """The Italian label of a ticket channel."""
    try:
        return _capitalized(ticket_label(Channel(key)))
    except ValueError:
        return key
