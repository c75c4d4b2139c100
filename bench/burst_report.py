"""The burst's figures: what each call went through, a run's report, and how it is printed."""

from __future__ import annotations

import os
import statistics
from dataclasses import dataclass, field

P99_TARGET_MS = 100.0
WINDOW_SECONDS = 10.0
OUTAGE_P99_TARGET_MS = 500.0


@dataclass
class CallResult:
    """What one simulated call went through."""

    index: int
    caller: str
    started_s: float
    late_ms: float
    sid: str = ""
    latencies_ms: list[float] = field(default_factory=list)
    sent_at: list[float] = field(default_factory=list)  # when each webhook was sent (time.perf_counter())
    accepted: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    heard: str = ""


@dataclass
class BurstReport:
    """The figures of one run at one arrival rate."""

    rate: float
    seconds: float
    calls: list[CallResult]
    achieved_rate: float
    lost: int
    server_p99_bound_ms: float
    server_under_100ms: float
    outage: str = ""
    cpu: dict[str, float] = field(default_factory=dict)
    p99_target_ms: float = P99_TARGET_MS  # driver side; OUTAGE_P99_TARGET_MS through a database outage
    consoles: str = ""

    @property
    def errors(self) -> int:
        """Calls with any problem."""
        return sum(1 for call in self.calls if call.problems)

    @property
    def latencies(self) -> list[float]:
        """Every webhook's latency as the driver saw it, in ms."""
        return sorted(latency for call in self.calls for latency in call.latencies_ms)

    def window_p99s(self, window_s: float = WINDOW_SECONDS) -> list[float]:
        """The driver-side p99 of the webhooks sent in each `window_s` of the run, in order (ms)."""
        windows: dict[int, list[float]] = {}
        start = min((call.sent_at[0] for call in self.calls if call.sent_at), default=0.0)
        for call in self.calls:
            for sent, latency in zip(call.sent_at, call.latencies_ms, strict=True):
                windows.setdefault(int((sent - start) // window_s), []).append(latency)
        return [_p99(sorted(values)) for _, values in sorted(windows.items())]

    def percentile(self, fraction: float) -> float:
        """A percentile of the driver-side webhook latencies, in ms."""
        values = self.latencies
        return values[min(int(fraction * len(values)), len(values) - 1)] if values else 0.0

    @property
    def driver_p99_ms(self) -> float:
        """The webhook p99 as the driver saw it: what Twilio waits for, the accept backlog included."""
        return self.percentile(0.99)

    @property
    def passed(self) -> bool:
        """Zero errors, zero lost, driver-side webhook p99 under the target.

        The server's histogram starts counting when a worker takes the request, after any wait in
        the listen backlog: it stays a diagnostic, never the verdict.
        """
        return self.errors == 0 and self.lost == 0 and self.driver_p99_ms < self.p99_target_ms


def _p99(values: list[float]) -> float:
    return values[min(int(0.99 * len(values)), len(values) - 1)] if values else 0.0


def print_report(report: BurstReport, database_cpu: float | None = None) -> None:
    """The figures of a run, one per line."""
    late = [call.late_ms for call in report.calls]
    print(f"\n== {report.rate:g} new calls/s for {report.seconds:g} s: {len(report.calls)} calls, "
          f"{'PASS' if report.passed else 'FAIL'} (zero errors, zero lost, driver-side p99 "
          f"{report.driver_p99_ms:.1f} ms < {report.p99_target_ms:g} ms)")
    if report.outage:
        print(f"   outage: {report.outage}")
    if report.consoles:
        print(report.consoles)
    print(f"   errors: {report.errors} calls; lost entries: {report.lost}")
    print(f"   webhooks: {len(report.latencies)}; driver-side latency p50 {report.percentile(0.5):.1f} ms, "
          f"p99 {report.percentile(0.99):.1f} ms, max {report.percentile(1.0):.1f} ms")
    windows = report.window_p99s()
    if windows:
        print(f"   driver-side p99 per {WINDOW_SECONDS:g} s of the run (ms): "
              + " ".join(f"{value:.0f}" for value in windows))
    print(f"   server-side (diagnostic, from when a worker took the request): 99 % answered within "
          f"{report.server_p99_bound_ms:g} ms (histogram bucket), {report.server_under_100ms:.2%} under 100 ms")
    print(f"   arrival rate achieved {report.achieved_rate:.1f} calls/s; call starts late by "
          f"p50 {statistics.median(late):.1f} ms, max {max(late):.1f} ms")
    shares = {**report.cpu, **({"PostgreSQL": database_cpu} if database_cpu is not None else {})}
    cores = ", ".join(f"{name} {value:.2f}" for name, value in shares.items())
    print(f"   CPU cores busy on average: {cores} (of {os.cpu_count()})")
    per_call = {name: value / report.achieved_rate * 1000 for name, value in shares.items() if report.achieved_rate}
    if per_call:
        ceiling = (os.cpu_count() or 1) * 1000 / sum(per_call.values())
        print(f"   CPU per call: {', '.join(f'{name} {value:.1f} ms' for name, value in per_call.items())}; "
              f"all cores busy would carry at most {ceiling:.0f} calls/s")
    for call in [call for call in report.calls if call.problems][:5]:
        print(f"   call {call.index} {call.sid}: {'; '.join(call.problems)}")
