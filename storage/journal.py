"""A durable local journal for writes the database could not take.

When the database is unreachable, what a call must not lose (a callback entry, a recording,
how a call ended) is appended here as one JSON line, fsynced, under an exclusive file lock
shared by every worker process. `replay` hands the entries back, in order, to an idempotent
apply function once the database is back; an entry is dropped only after it was applied.

Two locks keep appends fast while a replay runs: the append lock is held only to add a line
or to move the pending file aside as a numbered batch; the replay lock makes one process at a
time the replayer, and it drains batches oldest first until nothing is left.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

PENDING = "journal.jsonl"
REPLAYING_PREFIX = "replaying-"
APPEND_LOCK = "journal.lock"
REPLAY_LOCK = "replay.lock"
UNREADABLE = "journal.unreadable"
REJECTED = "journal.rejected"
_BATCH_NUMBER = re.compile(rf"^{REPLAYING_PREFIX}(\d+)\.jsonl$")


@dataclass(frozen=True)
class JournalEntry:
    """One write that waits for the database."""

    operation: str
    arguments: dict[str, Any]
    written_at: str

    @property
    def asked_at(self) -> datetime:
        """The instant the write was asked for: replayed later, it still happened then."""
        return datetime.fromisoformat(self.written_at)


class Journal:
    """Append-only JSON-lines journal in a directory."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self._pending_path = str(self.directory / PENDING)

    @contextmanager
    def _locked(self, name: str = APPEND_LOCK, wait: bool = True) -> Iterator[bool]:
        """Hold the named lock file; with wait=False yield False at once if another holds it."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / name, "a+b") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def append(self, operation: str, arguments: dict[str, Any], written_at: datetime) -> None:
        """Store one write, asked for at `written_at`, durably (fsync) before returning."""
        line = json.dumps({"operation": operation, "arguments": arguments,
                           "written_at": written_at.isoformat()}, ensure_ascii=False)
        with self._locked():
            _append_line(self.directory / PENDING, line)

    def _batches(self) -> list[Path]:
        """Batches moved aside for replay, oldest first."""
        batches = [path for path in self.directory.glob(f"{REPLAYING_PREFIX}*.jsonl") if _batch_number(path)]
        return sorted(batches, key=_batch_number)

    def backlog(self) -> int:
        """How many entries wait for replay."""
        if not self.directory.exists():
            return 0
        with self._locked():
            files = [*self._batches(), self.directory / PENDING]
            return sum(len(_read_lines(path)) for path in files)

    def rejected(self) -> int:
        """How many entries were set aside because they can never be applied."""
        return len(_read_lines(self.directory / REJECTED))

    def has_backlog(self) -> bool:
        """Cheap check used on the hot path: is there anything to replay?

        The pending file is looked at before the batches: a rename between the two checks
        turns pending entries into a batch, which the second check then sees.
        """
        try:
            if os.stat(self._pending_path).st_size > 0:
                return True
        except FileNotFoundError:
            pass
        try:
            names = os.listdir(self.directory)
        except FileNotFoundError:
            return False
        return any(_BATCH_NUMBER.match(name) for name in names)

    def _every_file(self) -> list[Path]:
        """Every file holding entries: batches, pending, and those set aside."""
        names = (PENDING, REJECTED, UNREADABLE)
        return [*self._batches(), *(self.directory / name for name in names if (self.directory / name).exists())]

    def count_lines(self, matches: Callable[[str], bool]) -> int:
        """How many entries (waiting or set aside) `matches` picks, e.g. those naming a person."""
        if not self.directory.exists():
            return 0
        with self._locked():
            return sum(1 for path in self._every_file() for line in _read_lines(path) if matches(line))

    def forget(self, matches: Callable[[str], bool]) -> int:
        """Remove for good the entries `matches` picks (an erasure request); return how many went.

        Holds the replay lock, so no batch is being replayed while its lines are rewritten.
        """
        if not self.directory.exists():
            return 0
        forgotten = 0
        with self._locked(REPLAY_LOCK), self._locked():
            for path in self._every_file():
                lines = _read_lines(path)
                kept = [line for line in lines if not matches(line)]
                if len(kept) == len(lines):
                    continue
                forgotten += len(lines) - len(kept)
                _replace_lines(path, kept)
                if not kept and path.name != PENDING:
                    path.unlink()
        return forgotten

    def replay(self, apply: Callable[[JournalEntry], None], wait: bool = True) -> int | None:
        """Apply every waiting entry in order; stop at the first failure and keep the rest.

        Entries appended while the replay runs are replayed too. With wait=False, return None
        at once when another process is replaying.
        """
        def apply_each(group: list[JournalEntry]) -> None:
            for entry in group:
                apply(entry)

        return self.replay_groups(apply_each, group_size=1, wait=wait)

    def replay_groups(self, apply_group: Callable[[list[JournalEntry]], None], group_size: int = 100,
                      wait: bool = True) -> int | None:
        """Like `replay`, handing over up to `group_size` consecutive entries at a time.

        A group that fails is kept whole (from its first entry on), so `apply_group` must be
        idempotent for every entry, as the journal's operations are.
        """
        if not self.directory.exists():
            return 0
        applied = 0
        with self._locked(REPLAY_LOCK, wait=wait) as replayer:
            if not replayer:
                return None
            while batch := self._next_batch():
                applied += self._replay_batch(batch, apply_group, group_size)
        return applied

    def _next_batch(self) -> Path | None:
        """The oldest batch, after moving the pending entries aside as the newest one."""
        with self._locked():
            batches = self._batches()
            pending = self.directory / PENDING
            if pending.exists() and pending.stat().st_size > 0:
                number = _batch_number(batches[-1]) + 1 if batches else 1
                batch = self.directory / f"{REPLAYING_PREFIX}{number:012d}.jsonl"
                pending.rename(batch)
                _fsync_directory(self.directory)
                batches.append(batch)
        return batches[0] if batches else None

    def _replay_batch(self, batch: Path, apply_group: Callable[[list[JournalEntry]], None], group_size: int) -> int:
        applied = 0
        lines = _read_lines(batch)
        group: list[JournalEntry] = []
        group_start = 0
        for index, line in enumerate(lines):
            try:
                entry = _parse(line)
            except (ValueError, KeyError, TypeError):
                self._set_aside(UNREADABLE, line)
                continue
            if not group:
                group_start = index
            group.append(entry)
            if len(group) == group_size or index == len(lines) - 1:
                self._apply_group(batch, lines, group_start, group, apply_group)
                applied += len(group)
                group = []
        if group:
            self._apply_group(batch, lines, group_start, group, apply_group)
            applied += len(group)
        batch.unlink()
        return applied

    @staticmethod
    def _apply_group(batch: Path, lines: list[str], group_start: int, group: list[JournalEntry],
                     apply_group: Callable[[list[JournalEntry]], None]) -> None:
        try:
            apply_group(group)
        except Exception:
            _replace_lines(batch, lines[group_start:])
            raise

    def reject(self, entry: JournalEntry, reason: str) -> None:
        """Keep an entry that can never be applied out of the way, with the reason, for a person."""
        self._set_aside(REJECTED, json.dumps({"operation": entry.operation, "arguments": entry.arguments,
                                              "written_at": entry.written_at, "reason": reason},
                                             ensure_ascii=False))

    def _set_aside(self, name: str, line: str) -> None:
        with self._locked():
            _append_line(self.directory / name, line)


def _batch_number(path: Path) -> int:
    """The sequence number in a batch's name (0 for a file that is not a batch)."""
    match = _BATCH_NUMBER.match(path.name)
    return int(match[1]) if match else 0


def _append_line(path: Path, line: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace_lines(path: Path, lines: list[str]) -> None:
    """Rewrite a batch atomically: a crash leaves either the old or the new file."""
    temporary = path.with_suffix(".tmp")
    temporary.write_text("".join(f"{line}\n" for line in lines), "utf-8")
    with open(temporary, "rb") as file:
        os.fsync(file.fileno())
    os.replace(temporary, path)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_lines(path: Path) -> list[str]:
    try:
        text = path.read_text("utf-8", errors="replace")
    except FileNotFoundError:
        return []
    return [line for line in text.splitlines() if line.strip()]


def _parse(line: str) -> JournalEntry:
    data = json.loads(line)
    return JournalEntry(data["operation"], data["arguments"], data["written_at"])
