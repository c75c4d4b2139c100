"""Limits on failed tracking-code lookups: each requester's own allowance refuses; everybody's only alerts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class LookupLimits:
    """Failed lookups tolerated per requester (refused past it) and overall (an alert past it), per window."""

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
    reason: Literal["caller"] | None = None


def is_allowed(failures_by_caller_in_window: int, limits: LookupLimits) -> Decision:
    """Allow a lookup while the requester's own failures in its window stay within its allowance.

    Nobody else's failures count here: a limit that strangers could fill would refuse everybody.
    """
    if failures_by_caller_in_window < 0:
        raise ValueError("failure counts cannot be negative")
    if failures_by_caller_in_window >= limits.per_caller:
        return Decision(False, "caller")
    return Decision(True)


def is_alert(failures_global_in_window: int, limits: LookupLimits) -> bool:
    """Whether everybody's failures reached the alert figure: logged, measured, slowed down, never refused."""
    if failures_global_in_window < 0:
        raise ValueError("failure counts cannot be negative")
    return failures_global_in_window >= limits.global_
