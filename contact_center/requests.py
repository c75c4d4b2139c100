"""The app's request class: werkzeug's, with the urlencoded parsing every webhook pays made cheaper.

Every Twilio webhook is a urlencoded form with a query string: werkzeug parses both with the
standard library's `parse_qsl`, which runs its percent-decoding machinery on every name and
value. `query_pairs` gives the same pairs, and skips that work for the names and values that
hold no `+` and no `%` (nearly all of Twilio's). A urlencoded body of declared length (every
webhook's: contact_center.body_limit gives a chunked one its length) is read and parsed
directly, without werkzeug's parser objects and limited stream around the same two steps. The
body limits are set once on the class too: Flask otherwise reads each from the config, through
the current_app proxy, while it parses.
"""

from __future__ import annotations

import typing as t
from functools import cached_property
from io import BytesIO
from typing import Final
from urllib.parse import unquote

from flask import Flask, Request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import ClientDisconnected
from werkzeug.formparser import FormDataParser

# werkzeug's decoding-error handler: undecodable percent escapes stay percent-encoded
# (werkzeug registers it with codecs on import, as `parse_qsl` is called with it).
_ERRORS = "werkzeug.url_quote"
URLENCODED: Final = "application/x-www-form-urlencoded"
_PLUS: Final = "%2B"  # "+" percent-encoded, as every form encoder writes it (upper-case hex)


def query_pairs(query: str) -> list[tuple[str, str]]:
    """`urllib.parse.parse_qsl(query, keep_blank_values=True, errors="werkzeug.url_quote")`, faster."""
    pairs = []
    for field in query.split("&") if query else ():
        if not field:
            continue
        name, _, value = field.partition("=")
        if "+" in name:
            name = name.replace("+", " ")
        if "%" in name:
            name = unquote(name, errors=_ERRORS)
        if "+" in value:
            value = value.replace("+", " ")
        if "%" in value:
            # A phone number ("%2B39...", four in every webhook) is its only escape: no decoder needed.
            value = ("+" + value[3:] if value.startswith(_PLUS) and "%" not in value[3:]
                     else unquote(value, errors=_ERRORS))
        pairs.append((name, value))
    return pairs


class _FormParser(FormDataParser):
    def _parse_urlencoded(self, stream: t.IO[bytes], mimetype: str, content_length: int | None,
                          options: dict[str, str]) -> tuple[t.IO[bytes], MultiDict[str, str], MultiDict[str, t.Any]]:
        return stream, self.cls(query_pairs(stream.read().decode())), self.cls()


class FastFormRequest(Request):
    """Flask's request; urlencoded bodies and query strings parsed by `query_pairs`."""

    form_data_parser_class = _FormParser

    def _load_form_data(self) -> None:
        """A urlencoded body of declared length within the limit, read and parsed here; any other as werkzeug does.

        The result is werkzeug's: the form's pairs, no files, and no form when the body is not
        UTF-8 (werkzeug's parser is silent on that too); a body shorter than declared is a 400.
        """
        if "form" in self.__dict__:
            return
        environ = self.environ
        declared = environ.get("CONTENT_LENGTH") or ""
        length = int(declared) if declared.isascii() and declared.isdigit() else None
        limit = self.max_content_length
        if (length is None or limit is None or length > limit
                or (environ.get("CONTENT_TYPE") or "").partition(";")[0].strip().lower() != URLENCODED):
            super()._load_form_data()  # werkzeug's way, its 413 for a declared length over the limit included
            return
        body = environ["wsgi.input"].read(length)
        if len(body) < length:
            raise ClientDisconnected()
        try:
            form = self.parameter_storage_class(query_pairs(body.decode()))
        except ValueError:
            form = self.parameter_storage_class()
        state = self.__dict__
        state["stream"], state["form"], state["files"] = BytesIO(), form, self.parameter_storage_class()

    @cached_property
    def args(self) -> MultiDict[str, str]:  # type: ignore[override]
        return self.parameter_storage_class(query_pairs(self.query_string.decode()))


def request_class(app: Flask) -> type[Request]:
    """The request class of `app`: FastFormRequest with the app's body limits set once."""
    return type("Request", (FastFormRequest,), {"_max_content_length": app.config["MAX_CONTENT_LENGTH"],
                                                "_max_form_memory_size": app.config["MAX_FORM_MEMORY_SIZE"],
                                                "_max_form_parts": app.config["MAX_FORM_PARTS"]})
