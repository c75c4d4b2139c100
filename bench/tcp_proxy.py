"""A TCP proxy that can cut the database off: every connection dropped, new ones refused.

It stands between the service and PostgreSQL so a test or a benchmark can stage an outage
without stopping the machine's shared server. It runs its own asyncio loop in a thread.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager, suppress
from typing import Any

CHUNK_BYTES = 65536


class TcpProxy:
    """Forwards 127.0.0.1:`port` to `target_host`:`target_port` until `cut()`, again after `restore()`."""

    def __init__(self, target_host: str, target_port: int, port: int = 0) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.port = port or _free_port()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tcp-proxy", daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    def start(self) -> TcpProxy:
        """Start forwarding."""
        self._thread.start()
        self._call(self._listen())
        return self

    def cut(self) -> None:
        """Drop every open connection and refuse new ones, like a stopped server."""
        self._call(self._cut())

    def restore(self) -> None:
        """Accept and forward connections again, on the same port."""
        self._call(self._listen())

    def stop(self) -> None:
        """Cut, then end the proxy's thread."""
        self.cut()
        self._call(self._cancel_tasks())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    @property
    def is_cut(self) -> bool:
        """Whether connections are being refused."""
        return self._server is None

    @property
    def connections(self) -> int:
        """Client connections being forwarded right now."""
        return len(self._writers) // 2

    def _call(self, coroutine: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._forward, "127.0.0.1", self.port, reuse_address=True)

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _cancel_tasks(self) -> None:
        """Let the forwarding tasks end on their aborted sockets; cancel any that do not."""
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        if tasks:
            _, stuck = await asyncio.wait(tasks, timeout=2)
            for task in stuck:
                task.cancel()
            await asyncio.gather(*stuck, return_exceptions=True)

    async def _forward(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            client_writer.transport.abort()
            return
        self._writers.update((client_writer, server_writer))
        await asyncio.gather(_pipe(client_reader, server_writer), _pipe(server_reader, client_writer))
        for writer in (client_writer, server_writer):
            self._writers.discard(writer)
            writer.transport.abort()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with suppress(ConnectionError, OSError):
        while data := await reader.read(CHUNK_BYTES):
            writer.write(data)
            await writer.drain()
    with suppress(ConnectionError, OSError, RuntimeError):
        writer.write_eof()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def proxied(target_host: str, target_port: int) -> Iterator[TcpProxy]:
    """A running proxy for the `with` block."""
    proxy = TcpProxy(target_host, target_port).start()
    try:
        yield proxy
    finally:
        proxy.stop()
