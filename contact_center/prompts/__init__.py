"""The words the IVR speaks, in Italian and in English: data files, never code.

Each language is a folder of YAML files (`it/`, `en/`) mapping prompt names to texts. Both
languages must name the same prompts: a name one of them lacks stops the service at start-up
with one line naming it, before any caller can reach the gap.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import yaml

from contact_center.config import ConfigError

HOME_LANGUAGE: Final = "it"  # the line's own language: withheld and +39 callers hear it first
LANGUAGES: Final = ("it", "en")  # the home language first
SHIPPED_LANGUAGE = HOME_LANGUAGE
OVERRIDE_SETTINGS: Final = {"it": "ivr.prompts_file", "en": "ivr.english_prompts_file"}


def other_language(language: str) -> str:
    """The language a caller of `language` is offered instead (the line has two)."""
    return LANGUAGES[1] if language == LANGUAGES[0] else LANGUAGES[0]


def shipped_root() -> Traversable:
    """The folder holding one sub-folder of YAML files per language."""
    return resources.files(__package__)


def _read_yaml(text: str, origin: str) -> dict[str, str]:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{origin}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ConfigError(f"{origin}: prompts must be a mapping of names to texts")
    return {str(key): value for key, value in data.items()}


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@dataclass(frozen=True)
class Prompts:
    """Prompt texts by name, filled in with str.format placeholders."""

    texts: dict[str, str]
    language: str = HOME_LANGUAGE
    _groups: dict[str, Mapping[str, str]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __call__(self, name: str, **values: Any) -> str:
        """The text of prompt `name` with its placeholders filled in."""
        return self.texts[name].format(**values)

    def __contains__(self, name: str) -> bool:
        return name in self.texts

    def group(self, prefix: str) -> Mapping[str, str]:
        """The unfilled texts whose names start with `prefix`, keyed by the rest of their name.

        Read-only and made once per prefix: a call's steps ask for the same groups on every
        webhook, and going through every prompt's name each time cost a status lookup 0.3 ms.
        """
        group = self._groups.get(prefix)
        if group is None:
            group = MappingProxyType({name.removeprefix(prefix): text for name, text in self.texts.items()
                                      if name.startswith(prefix)})
            self._groups[prefix] = group
        return group


def _shipped_texts(folder: Traversable, language: str) -> dict[str, str]:
    """Every prompt of one language folder (one file per flow); a name defined twice is refused."""
    texts: dict[str, str] = {}
    if not folder.is_dir():
        raise ConfigError(f"prompts/{language}: no prompts for this language")
    for file in sorted(folder.iterdir(), key=lambda item: item.name):
        if not file.name.endswith(".yaml"):
            continue
        origin = f"prompts/{language}/{file.name}"
        for name, text in _read_yaml(file.read_text("utf-8"), origin).items():
            if name in texts:
                raise ConfigError(f"{origin}: {name}: prompt defined twice")
            texts[name] = text
    return texts


def _apply_override(texts: dict[str, str], override_file: str, setting: str) -> None:
    """Replace some texts with those of `override_file`, whose names and placeholders must be known."""
    path = Path(override_file)
    try:
        overrides = _read_yaml(path.read_text("utf-8"), str(path))
    except OSError as exc:
        raise ConfigError(f"{setting}: cannot read {path} ({exc.strerror})") from None
    for name, text in overrides.items():
        if name not in texts:
            raise ConfigError(f"{path}: {name}: unknown prompt")
        unknown = _fields(text) - _fields(texts[name])
        if unknown:
            raise ConfigError(f"{path}: {name}: unknown placeholder {', '.join(sorted(unknown))}")
    texts.update(overrides)


def load_prompts(override_file: str = "", language: str = HOME_LANGUAGE, root: Traversable | None = None,
                 setting: str = "ivr.prompts_file") -> Prompts:
    """The shipped prompts of `language`, with the texts of `override_file` replacing theirs."""
    texts = _shipped_texts((root or shipped_root()).joinpath(language), language)
    if override_file:
        _apply_override(texts, override_file, setting)
    return Prompts(texts, language)


def check_same_names(catalog: Mapping[str, Prompts]) -> None:
    """Every language names the same prompts; else ConfigError naming the first missing one."""
    home = catalog[HOME_LANGUAGE]
    for language, prompts in catalog.items():
        for name in sorted(set(home.texts) - set(prompts.texts)):
            raise ConfigError(f"prompts/{language}: {name}: missing (prompts/{HOME_LANGUAGE} has it)")
        for name in sorted(set(prompts.texts) - set(home.texts)):
            raise ConfigError(f"prompts/{HOME_LANGUAGE}: {name}: missing (prompts/{language} has it)")


def load_catalog(overrides: Mapping[str, str] | None = None, root: Traversable | None = None) -> dict[str, Prompts]:
    """The prompts of every language (`overrides`: an override file by language), checked for gaps."""
    files = overrides or {}
    catalog = {language: load_prompts(files.get(language, ""), language, root, OVERRIDE_SETTINGS[language])
               for language in LANGUAGES}
    check_same_names(catalog)
    return catalog
