"""Twilio request validation: every webhook must carry a valid X-Twilio-Signature."""

from __future__ import annotations

from flask import Request
from twilio.request_validator import RequestValidator, compare
from werkzeug.datastructures import MultiDict


class _ValueLists(dict[str, list[str]]):
    """A form's values by name, as RequestValidator reads them: it asks each name's values with
    `getall` (aiohttp's MultiDict), then `getlist`, catching the AttributeError of each. Werkzeug's
    MultiDict has no `getall`: two exceptions per parameter, half of the signature's cost."""

    getall = dict.__getitem__


def _value_lists(form: MultiDict[str, str]) -> _ValueLists:
    return _ValueLists(dict.items(form))  # a MultiDict is a dict of each name's list of values


def public_url(request: Request, public_base_url: str) -> str:
    """The URL Twilio requested: behind a TLS proxy, the public origin replaces ours."""
    origin = public_base_url or request.host_url.rstrip("/")
    query = request.query_string.decode("latin-1")
    return f"{origin}{request.path}" + (f"?{query}" if query else "")


def is_signed_by_twilio(request: Request, validator: RequestValidator, public_base_url: str,
                        fallback_base_url: str = "") -> bool:
    """Check the signature over the public URL and the POST parameters.

    When the number's Fallback URL names another origin (another host's name), Twilio signs the
    fallback request, and the actions of the document it returns, with that origin instead.
    """
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    params = _value_lists(request.form) if request.method == "POST" else _ValueLists()
    origins = [public_base_url] + ([fallback_base_url] if fallback_base_url else [])
    for origin in origins:
        url = public_url(request, origin)
        # The URL as requested is one of the two forms validate() tries (with and without a port),
        # and the one Twilio signs: one HMAC for nearly every request instead of two, then the full check.
        if compare(validator.compute_signature(url, params), signature) or validator.validate(url, params, signature):
            return True
    return False
