"""Serve a WSGI app over real HTTP on 127.0.0.1, for end-to-end tests of HTTPTransport."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server


class _QuietRequestHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log nothing: the simulator keeps its own record of every request."""


@contextmanager
def serve_wsgi(wsgi_app: Any) -> Iterator[str]:
    """Run `wsgi_app` on a free local port for the `with` block; yields its base URL."""
    server = make_server(
        "127.0.0.1", 0, wsgi_app, threaded=True, request_handler=_QuietRequestHandler
    )
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
