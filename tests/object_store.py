"""An S3 endpoint for the tests: moto's server on loopback, reached through a proxy that can cut it off.

Nothing reaches the internet: boto3 is pointed at the local server with AWS_ENDPOINT_URL, the
same standard variable production uses for an S3-compatible store. The fixtures are in
tests/s3_support.py.
"""

from __future__ import annotations

import socket
import uuid
from dataclasses import dataclass
from typing import Any

import boto3

from bench.tcp_proxy import TcpProxy

REGION = "eu-south-1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test-access-key", "AWS_SECRET_ACCESS_KEY": "test-secret-key",
               "AWS_DEFAULT_REGION": REGION}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ObjectStore:
    """The moto server, reached by the service through a proxy that `cut()` takes down."""

    server_url: str
    proxy: TcpProxy

    @property
    def endpoint_url(self) -> str:
        """What the service is given as AWS_ENDPOINT_URL."""
        return f"http://127.0.0.1:{self.proxy.port}"

    def environment(self) -> dict[str, str]:
        """boto3's standard variables for the service."""
        return {**CREDENTIALS, "AWS_ENDPOINT_URL": self.endpoint_url}

    def client(self) -> Any:
        """A client that talks to the server directly (the tests' own view of the bucket)."""
        return boto3.client("s3", endpoint_url=self.server_url, region_name=REGION,
                            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"])

    def new_bucket(self) -> str:
        """A new, empty bucket (each test its own, so cached clients never mix them up)."""
        name = f"cc-recordings-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        return name

    def keys(self, bucket: str) -> list[str]:
        """Every object key in the bucket."""
        listing = self.client().list_objects_v2(Bucket=bucket)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def cut(self) -> None:
        """The store is down: connections dropped, new ones refused."""
        self.proxy.cut()

    def restore(self) -> None:
        """The store is back."""
        self.proxy.restore()
