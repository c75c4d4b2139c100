"""Where copied recordings are kept: a local folder, or an S3-compatible object store.

A recording is stored under a key such as `2026/11/RE....wav` (the message's `recording_path`),
the same in every store. `put` returns only once the store holds the whole object (a synced
file, an object the store acknowledged with its checksum), so Twilio's copy may then be
deleted. Any failure of the store itself is `StoreUnavailable`: the copy is retried later.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

CHUNK_BYTES: Final = 64 * 1024
S3_SCHEME: Final = "s3://"
_BUCKET: Final = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_MISSING: Final = frozenset({"404", "NoSuchKey", "NotFound"})
ENCRYPTIONS: Final = ("bucket-default", "AES256", "aws:kms")


class StoreUnavailable(Exception):
    """The store could not take, give or delete an object right now; the message says why."""


@dataclass(frozen=True)
class StoredAudio:
    """Bytes `first`..`last` (inclusive) of an object of `size` bytes, read as they are sent."""

    size: int
    first: int
    last: int
    chunks: Iterator[bytes]


class RecordingStore(Protocol):
    """A place recordings are copied to, read from and deleted from, by key."""

    def put(self, key: str, audio: bytes, content_type: str) -> None:
        """Store the whole object; StoreUnavailable unless the store holds it afterwards."""
        ...

    def size(self, key: str) -> int | None:
        """The object's size in bytes, or None when the store does not hold it."""
        ...

    def read(self, key: str, first: int = 0, last: int | None = None) -> StoredAudio | None:
        """Bytes `first`..`last` (inclusive; None: to the end), or None when the object is absent."""
        ...

    def delete(self, key: str) -> bool:
        """Delete the object; True if it was there (an absent object is not an error)."""
        ...


def check_key(key: str) -> str:
    """A relative key of plain path segments (never absolute, never `..`)."""
    parts = key.split("/")
    if not key or key.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"{key!r} is not a recording key")
    return key


class LocalFolderStore:
    """Recordings as files under one folder (the default: the instance folder's `recordings`)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def __repr__(self) -> str:
        return f"LocalFolderStore({str(self.directory)!r})"

    def path(self, key: str) -> Path:
        """Where the object of `key` lives on disk."""
        return self.directory / check_key(key)

    def put(self, key: str, audio: bytes, content_type: str) -> None:
        """Write the file so that it is either complete and synced, or absent."""
        path = self.path(key)
        temporary = path.with_name(f".{path.name}.part")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(temporary, "wb") as file:
                file.write(audio)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
            directory = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        except OSError as error:
            raise StoreUnavailable(f"cannot write {path}: {error.strerror or error}") from None

    def size(self, key: str) -> int | None:
        """The file's size, or None when there is no such file."""
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError:
            return None
        except OSError as error:
            raise StoreUnavailable(f"cannot read {key}: {error.strerror or error}") from None

    def read(self, key: str, first: int = 0, last: int | None = None) -> StoredAudio | None:
        """The file's bytes from `first` to `last`, read in chunks while they are sent."""
        size = self.size(key)
        if size is None:
            return None
        end = size - 1 if last is None else min(last, size - 1)
        return StoredAudio(size, first, end, _file_chunks(self.path(key), first, end - first + 1))

    def delete(self, key: str) -> bool:
        """Remove the file, if it is there."""
        try:
            self.path(key).unlink()
        except FileNotFoundError:
            return False
        except OSError as error:
            raise StoreUnavailable(f"cannot delete {key}: {error.strerror or error}") from None
        return True


def _file_chunks(path: Path, offset: int, length: int) -> Iterator[bytes]:
    with open(path, "rb") as file:
        file.seek(offset)
        while length > 0:
            chunk = file.read(min(CHUNK_BYTES, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk


class S3Store:
    """Recordings as objects in an S3-compatible bucket, under a prefix.

    Credentials, region and endpoint come from boto3's standard environment (AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION, AWS_ENDPOINT_URL, or an instance role). Timeouts
    are short and retries few: a copy that fails is retried later by the copy queue, and a
    webhook that copies must answer within Twilio's 15 seconds.
    """

    def __init__(self, bucket: str, prefix: str = "", *, encryption: str = "bucket-default",
                 kms_key_id: str = "", client: Any = None) -> None:
        if encryption not in ENCRYPTIONS:
            raise ValueError(f"unknown server-side encryption {encryption!r}")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.encryption = encryption
        self.kms_key_id = kms_key_id
        self.client = client if client is not None else boto3.session.Session().client(
            "s3", config=Config(connect_timeout=2, read_timeout=10, retries={"max_attempts": 2, "mode": "standard"}))

    def __repr__(self) -> str:
        return f"S3Store({self.bucket!r}, {self.prefix!r})"

    def object_key(self, key: str) -> str:
        """The object's key in the bucket: the prefix, then the recording's key."""
        return f"{self.prefix}/{check_key(key)}" if self.prefix else check_key(key)

    def _encryption(self) -> dict[str, str]:
        if self.encryption == "bucket-default":
            return {}
        if self.encryption == "aws:kms" and self.kms_key_id:
            return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self.kms_key_id}
        return {"ServerSideEncryption": self.encryption}

    def put(self, key: str, audio: bytes, content_type: str) -> None:
        """Upload the object; the store checks its checksum before acknowledging it."""
        try:
            self.client.put_object(Bucket=self.bucket, Key=self.object_key(key), Body=audio,
                                   ContentType=content_type, **self._encryption())
        except (BotoCoreError, ClientError) as error:
            raise StoreUnavailable(f"object store refused {key}: {_describe(error)}") from None

    def size(self, key: str) -> int | None:
        """The object's size from a HEAD request, or None when it is absent."""
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as error:
            if _error_code(error) in _MISSING:
                return None
            raise StoreUnavailable(f"object store: {_describe(error)}") from None
        except BotoCoreError as error:
            raise StoreUnavailable(f"object store: {_describe(error)}") from None
        return int(head["ContentLength"])

    def read(self, key: str, first: int = 0, last: int | None = None) -> StoredAudio | None:
        """A GET with a Range header; the body is streamed in chunks."""
        wanted = f"bytes={first}-{'' if last is None else last}"
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.object_key(key), Range=wanted)
        except ClientError as error:
            if _error_code(error) in _MISSING:
                return None
            raise StoreUnavailable(f"object store: {_describe(error)}") from None
        except BotoCoreError as error:
            raise StoreUnavailable(f"object store: {_describe(error)}") from None
        length = int(answer["ContentLength"])
        total = answer.get("ContentRange", "").rpartition("/")[2]
        size = int(total) if total.isdigit() else first + length
        return StoredAudio(size, first, first + length - 1, _body_chunks(answer["Body"]))

    def delete(self, key: str) -> bool:
        """Delete the object (S3 answers the same whether it was there or not)."""
        existed = self.size(key) is not None
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))
        except (BotoCoreError, ClientError) as error:
            raise StoreUnavailable(f"object store could not delete {key}: {_describe(error)}") from None
        return existed


def _body_chunks(body: Any) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(CHUNK_BYTES)
    finally:
        body.close()


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _describe(error: Exception) -> str:
    if isinstance(error, ClientError):
        return f"{_error_code(error)} {error.response.get('Error', {}).get('Message', '')}".strip()
    return f"{error.__class__.__name__}: {error}"


def parse_s3_url(url: str) -> tuple[str, str]:
    """The bucket and prefix of `s3://BUCKET/PREFIX`; ValueError when it is not one."""
    if not url.startswith(S3_SCHEME):
        raise ValueError(f"{url!r} does not start with {S3_SCHEME}")
    bucket, _, prefix = url.removeprefix(S3_SCHEME).partition("/")
    if not _BUCKET.fullmatch(bucket):
        raise ValueError(f"{bucket!r} is not an S3 bucket name")
    return bucket, prefix.strip("/")
