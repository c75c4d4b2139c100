"""Limits on failed tracking-code lookups, per caller and overall, decided from window counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class LookupLimits:
    """How many failed lookups are tolerated per caller and overall, each in its sliding window."""

    per_caller: int
    per_caller_window_s: int
    global_: int
    global_window_s: int

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value}")


@dataclass(frozen=True)
class Decision:
    """Whether a new lookup may run, and which limit refused it."""

    allowed: bool
    reason: Literal["caller", "global"] | None = None


def is_allowed(failures_by_caller_in_window: int, failures_global_in_window: int,
               limits: LookupLimits) -> Decision:
    """Allow a lookup while both counts of failures in their windows are below their limits."""
    if failures_by_caller_in_window < 0 or failures_global_in_window < 0:
        raise ValueError("failure counts cannot be negative")
    if failures_global_in_window >= limits.global_:
        return Decision(False, "global")
    if failures_by_caller_in_window >= limits.per_caller:
        return Decision(False, "caller")
    return Decision(True)
