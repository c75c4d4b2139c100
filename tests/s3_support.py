"""Fixtures for an S3 endpoint on loopback (moto's server mode); use with `pytest_plugins`.

Nothing reaches the internet: boto3 is pointed at the local server with AWS_ENDPOINT_URL, the
same standard variable production uses for an S3-compatible store.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer

from bench.tcp_proxy import TcpProxy
from tests.object_store import ObjectStore, free_port


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """moto's S3 server on 127.0.0.1, for the whole test session (its request log kept quiet)."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def object_store(s3_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[ObjectStore]:
    """The S3 server behind a proxy of its own, with boto3's environment pointing at it."""
    port = int(s3_server.rsplit(":", 1)[1])
    proxy = TcpProxy("127.0.0.1", port).start()
    store = ObjectStore(s3_server, proxy)
    for name, value in store.environment().items():
        monkeypatch.setenv(name, value)
    yield store
    proxy.stop()
