"""Prompts are data: the shipped Italian and English files, checked for gaps, and the Department's overrides."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import contact_center.cli.serve as serve_module
import contact_center.prompts as prompts_module
from contact_center.cli import main
from contact_center.config import ConfigError
from contact_center.prompts import LANGUAGES, _fields, load_catalog, load_prompts, shipped_root


def test_shipped_prompts_are_italian() -> None:
    prompts = load_prompts()
    assert "112" in prompts("not_emergency")
    assert "emergenza" in prompts("not_emergency")
    assert prompts("confirm_caller_id", last_digits="45 67").startswith(
        "Ti richiameremo al numero che termina con 45 67")


def test_a_group_is_the_prompts_of_a_prefix_read_only_with_an_override_applied(tmp_path: Path) -> None:
    override = tmp_path / "prompts.yaml"
    override.write_text("tickets.status_sentence.received: Appena arrivata.\n", "utf-8")
    prompts = load_prompts(str(override))
    words = prompts.group("tickets.")
    assert words["status_sentence.received"] == "Appena arrivata."
    assert set(words) == {name.removeprefix("tickets.") for name in prompts.texts if name.startswith("tickets.")}
    assert prompts.group("tickets.") is words  # made once, then shared by every webhook
    with pytest.raises(TypeError):
        words["status_sentence.received"] = "changed by a caller of group()"  # type: ignore[index]
    assert load_prompts().group("tickets.")["status_sentence.received"] != "Appena arrivata."


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


# --- two languages ------------------------------------------------------------------------------


def _copy_of_the_shipped_prompts(tmp_path: Path) -> Path:
    """The shipped prompt folders (it/, en/) copied where a test may break them."""
    root = tmp_path / "prompts"
    for language in LANGUAGES:
        folder = shipped_root().joinpath(language)
        (root / language).mkdir(parents=True)
        for file in folder.iterdir():
            if file.name.endswith(".yaml"):
                (root / language / file.name).write_text(file.read_text("utf-8"), "utf-8")
    return root


def _drop(path: Path, name: str) -> None:
    path.write_text("".join(line for line in path.read_text("utf-8").splitlines(keepends=True)
                            if not line.startswith(f"{name}:")), "utf-8")


def test_both_languages_name_the_same_prompts_and_english_is_english() -> None:
    catalog = load_catalog()
    assert set(catalog["it"].texts) == set(catalog["en"].texts)
    assert catalog["en"]("not_emergency") == (
        "This is not an emergency number. In an emergency, call 112, the European emergency number.")
    assert catalog["en"]("language_offer") == "For English, press 8."
    assert catalog["it"]("language_offer") == "Per l'italiano, premi 8."
    assert catalog["en"].language == "en" and catalog["it"].language == "it"


def test_every_prompt_fills_in_with_the_same_values_in_both_languages() -> None:
    """What the service passes to a prompt in one language is enough for the other."""
    catalog = load_catalog()
    for name, italian in catalog["it"].texts.items():
        english = catalog["en"].texts[name]
        if name.startswith("hours.time."):  # the clock words may use {hour12} and {meridiem} too
            continue
        assert _fields(english) <= _fields(italian), name


def test_a_missing_english_prompt_stops_loading_with_one_line_naming_it(tmp_path: Path) -> None:
    root = _copy_of_the_shipped_prompts(tmp_path)
    _drop(root / "en" / "core.yaml", "goodbye")
    with pytest.raises(ConfigError) as error:
        load_catalog(root=root)
    assert str(error.value) == "prompts/en: goodbye: missing (prompts/it has it)"


def test_a_prompt_only_english_has_is_missing_in_italian(tmp_path: Path) -> None:
    root = _copy_of_the_shipped_prompts(tmp_path)
    _drop(root / "it" / "tracking.yaml", "tracking_updated")
    with pytest.raises(ConfigError, match=r"^prompts/it: tracking_updated: missing \(prompts/en has it\)$"):
        load_catalog(root=root)


def test_a_missing_english_prompt_stops_the_service_at_start_up(tmp_path: Path, sqlite_url: str,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    root = _copy_of_the_shipped_prompts(tmp_path)
    _drop(root / "en" / "tracking.yaml", "tracking_read_back")
    monkeypatch.setattr(prompts_module, "shipped_root", lambda: root)
    monkeypatch.setattr(serve_module, "configure_logging", lambda log_format: None)  # keep pytest's streams
    config = tmp_path / "config.yaml"
    config.write_text(f"database:\n  url: '{sqlite_url}'\n  instance_dir: '{tmp_path / 'instance'}'\n", "utf-8")
    monkeypatch.setattr(sys, "argv", ["contact-center", "--config", str(config), "serve", "--port", "8123"])
    with pytest.raises(SystemExit) as exit_status:
        main()
    assert exit_status.value.code == 2
    assert capsys.readouterr().err == (
        "contact-center: configuration error: prompts/en: tracking_read_back: missing (prompts/it has it)\n")


def test_an_english_override_file_replaces_english_texts_only(tmp_path: Path) -> None:
    override = tmp_path / "english.yaml"
    override.write_text("greeting: Good morning from the Contact Center.\n", "utf-8")
    catalog = load_catalog({"en": str(override)})
    assert catalog["en"]("greeting") == "Good morning from the Contact Center."
    assert catalog["it"]("greeting").startswith("Benvenuto")
    missing = tmp_path / "nowhere.yaml"
    with pytest.raises(ConfigError, match=r"^ivr\.english_prompts_file: cannot read"):
        load_catalog({"en": str(missing)})
