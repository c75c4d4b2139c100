"""A durable local journal for writes the database could not take.

When the database is unreachable, what a call must not lose (a callback entry, a recording,
how a call ended) is appended here as one JSON line, fsynced, under an exclusive file lock
shared by every worker process. `replay` hands the entries back, in order, to an idempotent
apply function once the database is back; an entry is dropped only after it was applied.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage.types import utcnow

PENDING = "journal.jsonl"
REPLAYING_PREFIX = "replaying-"


@dataclass(frozen=True)
class JournalEntry:
    """One write that waits for the database."""

    operation: str
    arguments: dict[str, Any]
    written_at: str


class Journal:
    """Append-only JSON-lines journal in a directory."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / "journal.lock", "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def append(self, operation: str, arguments: dict[str, Any]) -> None:
        """Store one write durably (fsync) before returning."""
        line = json.dumps({"operation": operation, "arguments": arguments,
                           "written_at": utcnow().isoformat()}, ensure_ascii=False)
        with self._locked():
            fd = os.open(self.directory / PENDING, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, (line + "\n").encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)

    def _batches(self) -> list[Path]:
        return sorted(self.directory.glob(f"{REPLAYING_PREFIX}*.jsonl"))

    def backlog(self) -> int:
        """How many entries wait for replay."""
        if not self.directory.exists():
            return 0
        files = [*self._batches(), self.directory / PENDING]
        return sum(len(_read_lines(path)) for path in files if path.exists())

    def has_backlog(self) -> bool:
        """Cheap check used on the hot path: is there anything to replay?"""
        pending = self.directory / PENDING
        return (pending.exists() and pending.stat().st_size > 0) or bool(
            self.directory.exists() and self._batches())

    def replay(self, apply: Callable[[JournalEntry], None]) -> int:
        """Apply every waiting entry in order; stop at the first failure and keep the rest."""
        if not self.directory.exists():
            return 0
        applied = 0
        with self._locked():
            pending = self.directory / PENDING
            if pending.exists() and pending.stat().st_size > 0:
                sequence = len(self._batches())
                pending.rename(self.directory / f"{REPLAYING_PREFIX}{utcnow():%Y%m%d%H%M%S%f}-{sequence:06d}.jsonl")
            for batch in self._batches():
                lines = _read_lines(batch)
                for index, line in enumerate(lines):
                    try:
                        entry = _parse(line)
                    except (ValueError, KeyError, TypeError):
                        self._set_aside(line)
                        continue
                    try:
                        apply(entry)
                    except Exception:
                        batch.write_text("".join(f"{rest}\n" for rest in lines[index:]), "utf-8")
                        raise
                    applied += 1
                batch.unlink()
        return applied

    def _set_aside(self, line: str) -> None:
        with open(self.directory / "journal.unreadable", "a", encoding="utf-8") as rejected:
            rejected.write(line + "\n")


def _read_lines(path: Path) -> list[str]:
    return [line for line in path.read_text("utf-8").splitlines() if line.strip()]


def _parse(line: str) -> JournalEntry:
    data = json.loads(line)
    return JournalEntry(data["operation"], data["arguments"], data["written_at"])
