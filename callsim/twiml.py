"""Parse and validate TwiML the way Twilio does: 12100 for a bad document, 12200 for bad schema."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from callsim.twiml_schema import SPECS, SSML_ELEMENTS, SSML_SPEC, UNSUPPORTED_VERBS, Spec, direct_text

PARSE_ERROR = 12100
SCHEMA_ERROR = 12200


class TwimlError(Exception):
    """A document Twilio refuses: `code` is 12100 (parse) or 12200 (schema)."""

    def __init__(self, code: int, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


class Context(Enum):
    """Where a document runs, which limits the verbs it may use."""

    CALL = "call"
    WHISPER = "whisper"  # a <Number url> document on the callee's leg
    QUEUE_WAIT = "queue-wait"  # an <Enqueue waitUrl> document


@dataclass(frozen=True)
class Node:
    """One validated TwiML element; `text` is its stripped text (all of it for <Say>)."""

    name: str
    attrs: Mapping[str, str] = field(default_factory=dict)
    text: str = ""
    children: tuple[Node, ...] = ()

    def get(self, attr: str, default: str | None = None) -> str | None:
        """The attribute's value, or `default` when absent."""
        return self.attrs.get(attr, default)

    def get_int(self, attr: str, default: int) -> int:
        """The attribute as an integer (validation guarantees it parses)."""
        value = self.attrs.get(attr)
        return default if value is None else int(value)

    def get_bool(self, attr: str, default: bool) -> bool:
        """The attribute as a boolean ("true"/"false")."""
        value = self.attrs.get(attr)
        return default if value is None else value == "true"


@dataclass(frozen=True)
class Document:
    """A fetched TwiML document: the URL it came from and its verbs."""

    url: str
    verbs: tuple[Node, ...]
    warnings: tuple[str, ...] = ()


# --- where each verb may run ------------------------------------------------------------

_CALL_VERBS = frozenset(
    {"Say", "Play", "Pause", "Gather", "Record", "Dial", "Enqueue", "Redirect", "Hangup",
     "Reject", "Sms", "Message"}
) | UNSUPPORTED_VERBS
VERBS_BY_CONTEXT: dict[Context, frozenset[str]] = {
    Context.CALL: _CALL_VERBS,
    # Twilio: a whisper document "cannot contain <Dial>"; we also refuse what makes no sense
    # on a callee's leg (stricter reading).
    Context.WHISPER: frozenset({"Say", "Play", "Pause", "Gather", "Redirect", "Hangup", "Reject"}),
    # Twilio documents exactly these for a waitUrl document.
    Context.QUEUE_WAIT: frozenset(
        {"Say", "Play", "Pause", "Gather", "Redirect", "Hangup", "Leave"}
    ),
}


# --- parsing ----------------------------------------------------------------------------


def parse_document(
    url: str, body: str, context: Context = Context.CALL, strict: bool = True
) -> Document:
    """Parse a TwiML body; in strict mode any schema problem raises 12200, else it is dropped."""
    root = _parse_xml(body)
    problems: list[str] = []
    verbs = _clean_verbs(root, context, problems)
    if problems and strict:
        raise TwimlError(SCHEMA_ERROR, "; ".join(problems))
    return Document(url, verbs, tuple(problems))


def _parse_xml(body: str) -> ET.Element:
    if not body:
        raise TwimlError(PARSE_ERROR, "empty document")
    if body[0].isspace() or body[0] == "\ufeff":
        raise TwimlError(PARSE_ERROR, "whitespace before the start of the document")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as error:
        raise TwimlError(PARSE_ERROR, f"not well-formed XML: {error}") from error
    if root.tag != "Response":
        raise TwimlError(PARSE_ERROR, f"the root element is <{root.tag}>, not <Response>")
    return root


def _clean_verbs(root: ET.Element, context: Context, problems: list[str]) -> tuple[Node, ...]:
    if root.attrib:
        problems.append("<Response> takes no attributes")
    if direct_text(root):
        problems.append("text outside any verb")
    allowed = VERBS_BY_CONTEXT[context]
    verbs = []
    for element in root:
        if element.tag not in allowed:
            problems.append(_misplaced(element.tag, f"in a {context.value} document"))
        elif (node := _clean(element, problems)) is not None:
            verbs.append(node)
    return tuple(verbs)


def _misplaced(tag: str, where: str) -> str:
    if tag in SPECS or tag in UNSUPPORTED_VERBS or tag in SSML_ELEMENTS:
        return f"<{tag}> is not allowed {where}"
    return f"unknown element <{tag}>"


def _clean(element: ET.Element, problems: list[str]) -> Node | None:
    """Validate one element: keep what is valid, describe the rest in `problems`."""
    name = element.tag
    if name in UNSUPPORTED_VERBS:
        return Node(name, dict(element.attrib))
    spec = SPECS.get(name, SSML_SPEC)
    attrs = _clean_attributes(name, element.attrib, spec, problems)
    if not spec.text and direct_text(element):
        problems.append(f"<{name}> cannot hold text")
    children = []
    for child in element:
        if child.tag not in spec.children:
            problems.append(_misplaced(child.tag, f"inside <{name}>"))
        elif (node := _clean(child, problems)) is not None:
            children.append(node)
    if spec.rule is not None and (problem := spec.rule(element)) is not None:
        problems.append(problem)
        return None
    if name == "Say":  # SSML children only shape the spoken text
        return Node(name, attrs, " ".join("".join(element.itertext()).split()))
    return Node(name, attrs, direct_text(element), tuple(children))


def _clean_attributes(
    name: str, attributes: Mapping[str, str], spec: Spec, problems: list[str]
) -> dict[str, str]:
    if spec.attributes is None:
        return dict(attributes)
    valid = {}
    for attr, value in attributes.items():
        check = spec.attributes.get(attr)
        if check is None:
            problems.append(f"attribute '{attr}' is not allowed in <{name}>")
        elif not check(value):
            problems.append(f"invalid value {value!r} for attribute '{attr}' of <{name}>")
        else:
            valid[attr] = value
    return valid
