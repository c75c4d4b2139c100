"""Twilio request validation: every webhook must carry a valid X-Twilio-Signature."""

from __future__ import annotations

from flask import Request
from twilio.request_validator import RequestValidator


def public_url(request: Request, public_base_url: str) -> str:
    """The URL Twilio requested: behind a TLS proxy, the public origin replaces ours."""
    origin = public_base_url or request.host_url.rstrip("/")
    query = request.query_string.decode("latin-1")
    return f"{origin}{request.path}" + (f"?{query}" if query else "")


def is_signed_by_twilio(request: Request, validator: RequestValidator, public_base_url: str) -> bool:
    """Check the signature over the public URL and the POST parameters."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    params = request.form if request.method == "POST" else {}
    return validator.validate(public_url(request, public_base_url), params, signature)
