"""Where mail goes: `smtp://host:25`, `smtp+starttls://user:password@host:587`, `smtps://user:password@host:465`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal
from urllib.parse import unquote, urlsplit

Security = Literal["plain", "starttls", "tls"]
SCHEMES: Final[dict[str, tuple[Security, int]]] = {
    "smtp": ("plain", 25),
    "smtp+starttls": ("starttls", 587),
    "smtps": ("tls", 465),
}


@dataclass(frozen=True)
class SmtpEndpoint:
    """An SMTP server, how to secure the connection, and the optional credentials."""

    host: str
    port: int
    security: Security
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def parse(cls, url: str) -> SmtpEndpoint:
        """The endpoint of an SMTP URL (ValueError naming what is wrong, never the password)."""
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        if scheme not in SCHEMES:
            raise ValueError(f"scheme {scheme or '(none)'!r} is not one of {', '.join(s + '://' for s in SCHEMES)}")
        if not parts.hostname:
            raise ValueError("the SMTP URL names no host")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError("the SMTP URL takes no path, query or fragment")
        try:
            port = parts.port
        except ValueError:
            raise ValueError("the SMTP URL's port is not a number between 0 and 65535") from None
        security, default_port = SCHEMES[scheme]
        username = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password is not None else None
        if password is not None and not username:
            raise ValueError("the SMTP URL has a password but no user")
        return cls(host=parts.hostname, port=port or default_port, security=security, username=username,
                   password=password)

    def describe(self) -> str:
        """The endpoint for logs and pages: scheme, user, host and port, never the password."""
        scheme = next(name for name, (security, _) in SCHEMES.items() if security == self.security)
        user = f"{self.username}@" if self.username else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{user}{host}:{self.port}"
