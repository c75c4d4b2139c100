"""Prompts are data: the shipped Italian file, and overrides the Department can write."""

from __future__ import annotations

from pathlib import Path

import pytest

from contact_center.config import ConfigError
from contact_center.prompts import load_prompts


def test_shipped_prompts_are_italian() -> None:
    prompts = load_prompts()
    assert "112" in prompts("not_emergency")
    assert "emergenza" in prompts("not_emergency")
    assert prompts("confirm_caller_id", last_digits="45 67").startswith(
        "Ti richiameremo al numero che termina con 45 67")


def test_an_override_file_replaces_some_texts(tmp_path: Path) -> None:
    override = tmp_path / "prompts.yaml"
    override.write_text("greeting: Buongiorno dal Contact Center.\n", "utf-8")
    prompts = load_prompts(str(override))
    assert prompts("greeting") == "Buongiorno dal Contact Center."
    assert "112" in prompts("not_emergency")


@pytest.mark.parametrize(("text", "message"), [
    ("greting: Ciao\n", "greting: unknown prompt"),
    ("greeting: 'Ciao {name}'\n", "greeting: unknown placeholder name"),
    ("greeting: [1]\n", "prompts must be a mapping of names to texts"),
])
def test_a_bad_override_is_refused(tmp_path: Path, text: str, message: str) -> None:
    override = tmp_path / "prompts.yaml"
    override.write_text(text, "utf-8")
    with pytest.raises(ConfigError, match=message):
        load_prompts(str(override))
