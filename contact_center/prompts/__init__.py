"""The words the IVR speaks: data files, never code."""

from __future__ import annotations

import string
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from contact_center.config import ConfigError

SHIPPED_LANGUAGE = "it"


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

    def __call__(self, name: str, **values: Any) -> str:
        """The text of prompt `name` with its placeholders filled in."""
        return self.texts[name].format(**values)

    def __contains__(self, name: str) -> bool:
        return name in self.texts

    def group(self, prefix: str) -> dict[str, str]:
        """The unfilled texts whose names start with `prefix`, keyed by the rest of their name."""
        return {name.removeprefix(prefix): text for name, text in self.texts.items() if name.startswith(prefix)}


def load_prompts(override_file: str = "") -> Prompts:
    """The shipped prompts (one file per flow), with the texts of `override_file` replacing theirs."""
    texts: dict[str, str] = {}
    shipped = resources.files(__package__).joinpath(SHIPPED_LANGUAGE)
    for file in sorted(shipped.iterdir(), key=lambda item: item.name):
        if not file.name.endswith(".yaml"):
            continue
        for name, text in _read_yaml(file.read_text("utf-8"), file.name).items():
            if name in texts:
                raise ConfigError(f"{file.name}: {name}: prompt defined twice")
            texts[name] = text
    if override_file:
        path = Path(override_file)
        try:
            overrides = _read_yaml(path.read_text("utf-8"), str(path))
        except OSError as exc:
            raise ConfigError(f"ivr.prompts_file: cannot read {path} ({exc.strerror})") from None
        for name, text in overrides.items():
            if name not in texts:
                raise ConfigError(f"{path}: {name}: unknown prompt")
            unknown = _fields(text) - _fields(texts[name])
            if unknown:
                raise ConfigError(f"{path}: {name}: unknown placeholder {', '.join(sorted(unknown))}")
        texts.update(overrides)
    return Prompts(texts)
