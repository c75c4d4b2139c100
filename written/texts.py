"""The written channel's Italian texts, read from texts.yaml."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, Final

import yaml

TEXTS_FILE: Final = Path(__file__).with_name("texts.yaml")


@cache
def _texts() -> dict[str, dict[str, str]]:
    data = yaml.safe_load(TEXTS_FILE.read_text("utf-8"))
    return {section: dict(values) for section, values in data.items()}


def error_text(key: str, **values: Any) -> str:
    """The Italian sentence for an error key such as 'email.invalid' (values fill its placeholders)."""
    return _texts()["error"][key].format(**values)


def author(key: str) -> str:
    """How the history names an automatic author ('web': the online form)."""
    return _texts()["author"][key]


def labels(section: str) -> dict[str, str]:
    """Every Italian label of a section ('mail_kind', 'mail_status'), by key."""
    return dict(_texts()[section])
