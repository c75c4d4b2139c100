"""The call simulator over an asynchronous HTTP client, without a thread per call.

callsim plays each call as ordinary synchronous code. Here every call runs in its own
greenlet: when the simulator sends a request, the greenlet hands the aiohttp coroutine to
the asyncio loop and sleeps until the answer comes back. Thousands of calls then share one
thread and one connection pool, so the load driver stays light.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar
from urllib.parse import urlencode

import aiohttp
from greenlet import greenlet

from callsim.transport import TWILIO_TIMEOUT_SECONDS, HttpResponse, TransportError, decode_body, path_and_query

T = TypeVar("T")
FORM: Final = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class _Awaiting:
    """What a call's greenlet hands to the loop: something to await for it."""

    awaitable: Awaitable[Any]


def await_in_greenlet(awaitable: Awaitable[T]) -> T:
    """From synchronous code running under `run_in_greenlet`, wait for `awaitable`."""
    parent = greenlet.getcurrent().parent
    if parent is None:
        raise RuntimeError("await_in_greenlet() needs code started by run_in_greenlet()")
    return parent.switch(_Awaiting(awaitable))  # type: ignore[no-any-return]


async def run_in_greenlet(function: Callable[..., T], *args: Any) -> T:
    """Run synchronous `function` to its end, awaiting whatever it hands over on the way."""
    child = greenlet(function)
    handed = child.switch(*args)
    while not child.dead:
        try:
            result = await handed.awaitable
        except BaseException as error:  # the greenlet sees the failure where it awaited
            handed = child.throw(error)
        else:
            handed = child.switch(result)
    return handed  # type: ignore[no-any-return]


class AsyncHttpTransport:
    """A callsim transport that sends with aiohttp; use it from calls run by `run_in_greenlet`."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str,
                 timeout: float = TWILIO_TIMEOUT_SECONDS) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    def send(self, method: str, url: str, form_params: dict[str, str], headers: dict[str, str]) -> HttpResponse:
        """Send one request and return what the app answered."""
        return await_in_greenlet(self._send(method, url, form_params, headers))

    async def _send(self, method: str, url: str, form_params: dict[str, str],
                    headers: dict[str, str]) -> HttpResponse:
        # The form encoded as Twilio sends it, here rather than by aiohttp's FormData (a fifth of the
        # driver's CPU went there, measured with py-spy).
        body = urlencode(form_params).encode() if form_params else None
        if body is not None:
            headers = {**headers, "Content-Type": FORM}
        try:
            async with self.session.request(method, self.base_url + path_and_query(url), data=body,
                                            headers=headers, allow_redirects=False,
                                            timeout=self.timeout) as response:
                body = await response.read()
                content_type = response.headers.get("Content-Type", "")
                return HttpResponse(response.status, content_type, decode_body(body, content_type))
        except TimeoutError as error:
            raise TransportError(f"no response within {self.timeout.total:g} s") from error
        except aiohttp.ClientError as error:
            raise TransportError(f"cannot reach {self.base_url}: {error}") from error
