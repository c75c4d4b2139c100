"""API tokens: created once and shown once, stored as a SHA-256 hash, verified by hash lookup."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Final

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import ApiToken

TOKEN_PREFIX: Final = "cc_"
TOKEN_BYTES: Final = 32
_NAME_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")


# What a token may do; chosen at creation, checked on every request.
SCOPES: Final = {
    "tickets:read": "read tickets through /api/tickets",
    "tickets:write": "create tickets and change their status",
    "console:read": "read the Today figures, the callback list with citizens' numbers, the presence board",
    "callbacks:work": "claim callback entries and record outcomes for an active, unlocked account",
    "presence:write": "set an operator's presence",
}
DEFAULT_SCOPES: Final = ("tickets:read",)


class TokenError(ValueError):
    """A token cannot be created or revoked as asked; the message says why."""


def hash_token(raw: str) -> str:
    """The stored form of a token: its SHA-256 in hex."""
    return hashlib.sha256(raw.encode()).hexdigest()


def check_name(name: str) -> str:
    """The name if it is 1-80 letters, digits, dots, dashes or underscores, starting with a letter or digit."""
    if not _NAME_PATTERN.fullmatch(name):
        raise TokenError(f"invalid token name {name!r}: use 1-80 letters, digits, '.', '-' or '_'")
    return name


def check_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    """The scopes, known and deduplicated in a stable order; none given means the least: DEFAULT_SCOPES."""
    chosen = tuple(dict.fromkeys(scope.strip() for scope in scopes if scope.strip())) or DEFAULT_SCOPES
    unknown = [scope for scope in chosen if scope not in SCOPES]
    if unknown:
        raise TokenError(f"unknown scope {unknown[0]!r}: use {', '.join(SCOPES)}")
    return tuple(scope for scope in SCOPES if scope in chosen)


def token_scopes(token: ApiToken) -> frozenset[str]:
    """The scopes a stored token holds."""
    return frozenset(token.scopes.split())


def create_token(session: Session, name: str, *, now: datetime,
                 scopes: Iterable[str] = DEFAULT_SCOPES) -> tuple[ApiToken, str]:
    """A new token named `name` with `scopes`: the stored row and the raw token, which is never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    token = ApiToken(name=check_name(name), token_hash=hash_token(raw), created_at=now,
                     scopes=" ".join(check_scopes(scopes)))
    try:
        with session.begin_nested():
            session.add(token)
    except IntegrityError:
        raise TokenError(f"a token named {name!r} already exists") from None
    return token, raw


def verify_token(session: Session, raw: str | None) -> ApiToken | None:
    """The token a bearer string stands for, or None when it is missing, malformed or unknown."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    return session.scalars(select(ApiToken).where(ApiToken.token_hash == hash_token(raw))).first()


def bearer(authorization: str | None) -> str | None:
    """The token of an 'Authorization: Bearer ...' header value, or None."""
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()


def list_tokens(session: Session) -> list[ApiToken]:
    """Every token, by name."""
    return list(session.scalars(select(ApiToken).order_by(ApiToken.name)))


def revoke_token(session: Session, name: str) -> None:
    """Delete the token named `name` (TokenError if there is none): it stops working at once."""
    deleted = session.execute(delete(ApiToken).where(ApiToken.name == name)).rowcount
    if not deleted:
        raise TokenError(f"no token named {name!r}")
