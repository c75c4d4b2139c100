"""What the service says of itself during a benchmark: its latency histogram and its journal.

The server's own histogram is a diagnostic only: benchmarks judge latency on the driver's side,
where Twilio waits.
"""

from __future__ import annotations

import time

import requests
from prometheus_client.parser import text_string_to_metric_families

METRICS_TOKEN = "burst-metrics-token"


def webhook_histogram(base_url: str) -> dict[float, float]:
    """The server's webhook latency histogram, summed over routes: upper bound (s) -> count."""
    text = requests.get(base_url + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"},
                        timeout=30).text
    buckets: dict[float, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "contact_center_webhook_duration_seconds_bucket":
                bound = float(sample.labels["le"])
                buckets[bound] = buckets.get(bound, 0.0) + sample.value
    return buckets


def server_latency(before: dict[float, float], after: dict[float, float]) -> tuple[float, float]:
    """From two scrapes: the bound (ms) of the bucket holding the 99th percentile, and the share under 100 ms."""
    counts = {bound: after.get(bound, 0.0) - before.get(bound, 0.0) for bound in after}
    total = counts.get(float("inf"), 0.0)
    if not total:
        return 0.0, 1.0
    p99_bound = next(bound for bound in sorted(counts) if counts[bound] >= 0.99 * total)
    return p99_bound * 1000, counts.get(0.1, 0.0) / total


def wait_for_journal(base_url: str, deadline_seconds: float = 600) -> float:
    """Wait until the journal is empty (GET /healthz); returns how long it took."""
    started = time.monotonic()
    while time.monotonic() - started < deadline_seconds:
        try:
            health = requests.get(base_url + "/healthz", timeout=10).json()
            if health["journal_backlog"] == 0 and health["database"] == "ok":
                return time.monotonic() - started
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the journal was not replayed within {deadline_seconds:g} s")
