"""Open consoles beside the burst: each signs in and polls /console/live as console/static/live.js does.

Every `poll_seconds` a console asks /console/live with If-None-Match (304 while nothing
changed); on a 200 it fetches the list's counts and rows (/console/callbacks/live), as the open
list in a browser does.
During a burst the list changes at every poll, so each console costs one small JSON and one
list page every few seconds: the worst case for the webhooks that share the workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

import aiohttp
from sqlalchemy.exc import IntegrityError

from access.accounts import Role, add_account
from hours.clock import utcnow
from storage.db import make_engine, make_session_factory

CONSOLE_ACCOUNT = "Operatrice Banco Prova"
CONSOLE_PASSWORD = "benchmark console password"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def create_console_account(database_url: str) -> None:
    """The operator account the consoles sign in with (kept if it is already there)."""
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine).begin() as session:
            add_account(session, CONSOLE_ACCOUNT, Role.OPERATOR, CONSOLE_PASSWORD, now=utcnow(),
                        min_password_length=12)
    except IntegrityError:
        pass
    finally:
        engine.dispose()


@dataclass
class ConsoleFigures:
    """What the open consoles asked and how long it took, added up."""

    unchanged: int = 0
    changed: int = 0
    failed: int = 0
    poll_ms: list[float] = field(default_factory=list)
    list_ms: list[float] = field(default_factory=list)

    def describe(self, consoles: int, poll_seconds: float) -> str:
        def p(values: list[float], fraction: float) -> float:
            ordered = sorted(values)
            return ordered[min(int(fraction * len(ordered)), len(ordered) - 1)] if ordered else 0.0
        return (f"   consoles: {consoles} open, polling every {poll_seconds:g} s: {self.unchanged} x 304, "
                f"{self.changed} x 200 (each followed by the list's rows), {self.failed} failed; "
                f"/console/live p50 {p(self.poll_ms, .5):.1f} ms p99 {p(self.poll_ms, .99):.1f} ms, "
                f"rows p50 {p(self.list_ms, .5):.1f} ms p99 {p(self.list_ms, .99):.1f} ms")


class _Console:
    """One signed-in browser: its own session cookie (sent by hand: the bench speaks plain http)."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self.session, self.base_url, self.cookies = session, base_url.rstrip("/"), SimpleCookie()

    def _remember(self, response: aiohttp.ClientResponse) -> None:
        for header in response.headers.getall("Set-Cookie", []):
            self.cookies.load(header)

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in self.cookies.items())
        return {**({"Cookie": cookie} if cookie else {}), **(extra or {})}

    async def get(self, path: str, extra: dict[str, str] | None = None) -> tuple[int, str, str]:
        async with self.session.get(self.base_url + path, headers=self._headers(extra),
                                    allow_redirects=False) as response:
            self._remember(response)
            return response.status, await response.text(), response.headers.get("ETag", "")

    async def sign_in(self) -> None:
        _, page, _ = await self.get("/console/login")
        token = _CSRF.search(page)
        if token is None:
            raise RuntimeError("no sign-in form at /console/login")
        form = {"name": CONSOLE_ACCOUNT, "password": CONSOLE_PASSWORD, "csrf_token": token[1]}
        async with self.session.post(self.base_url + "/console/login", data=form, headers=self._headers(),
                                     allow_redirects=False) as response:
            self._remember(response)
            if response.status != 302 or "/console/login" in response.headers.get("Location", ""):
                raise RuntimeError(f"the console sign-in failed ({response.status})")


async def open_console(session: aiohttp.ClientSession, base_url: str) -> _Console:
    """A console signed in with the list open (done before the calls start: signing in is slow on purpose)."""
    console = _Console(session, base_url)
    await console.sign_in()
    await console.get("/console/callbacks")
    return console


async def keep_polling(console: _Console, poll_seconds: float, offset: float, stop: asyncio.Event,
                       figures: ConsoleFigures) -> None:
    """One open console polling until `stop`."""
    await asyncio.sleep(offset)
    tag = ""
    while not stop.is_set():
        started = time.monotonic()
        try:
            status, _, new_tag = await console.get("/console/live", {"If-None-Match": tag} if tag else None)
            figures.poll_ms.append((time.monotonic() - started) * 1000)
            if status == 304:
                figures.unchanged += 1
            elif status == 200:
                figures.changed += 1
                tag = new_tag
                started = time.monotonic()
                status, _, _ = await console.get("/console/callbacks/live")
                figures.list_ms.append((time.monotonic() - started) * 1000)
                figures.failed += status != 200
            else:
                figures.failed += 1
        except (TimeoutError, aiohttp.ClientError):
            figures.failed += 1
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), poll_seconds)
