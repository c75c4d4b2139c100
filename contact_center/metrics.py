"""Prometheus metrics: webhook latency and answers per route, plus the service's state at scrape time.

Counters and histograms are kept per process; under gunicorn every worker writes them to
files in PROMETHEUS_MULTIPROC_DIR and a scrape adds them up. prometheus_client chooses that
storage when it is first imported, so `serve` sets the variable before its workers import this
module; a process that imported it earlier is refused loudly instead of reporting one worker.
What the database and the journal hold (calls by outcome, pending callbacks, journal backlog)
is read when /metrics is scraped, so every worker reports the same figures.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, values
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from contact_center.durable import DATABASE_DOWN
from contact_center.runtime import Runtime
from mail.outbox import backlog as mail_backlog
from storage.models import Call, CallbackMessage
from tickets.lookups import recent_failures
from voicemail.worklist import pending_count

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
COPY_STATES = ("pending", "failed")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0)


class StateCollector(Collector):
    """Gauges read from the database and the journal when Prometheus scrapes."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[Metric]:
        journal = self.runtime.journal
        yield GaugeMetricFamily("contact_center_journal_backlog",
                                "Writes waiting in the local journal for the database", value=journal.backlog())
        yield GaugeMetricFamily("contact_center_journal_rejected",
                                "Journaled writes set aside because they can never be applied",
                                value=journal.rejected())
        try:
            with self.runtime.sessions() as session:
                outcomes = session.execute(
                    select(func.coalesce(Call.outcome, "none"), func.count()).group_by(Call.outcome)).all()
                pending = pending_count(session)
                copies = dict(session.execute(
                    select(CallbackMessage.copy_status, func.count())
                    .where(CallbackMessage.copy_status.in_(COPY_STATES)).group_by(CallbackMessage.copy_status)).all())
                outbox = mail_backlog(session)
                limits = self.runtime.settings.tickets.lookup_limits()
                lookup_failures = recent_failures(session, limits, self.runtime.clock())
        except DATABASE_DOWN:
            yield GaugeMetricFamily("contact_center_database_up", "Whether the database answered", value=0)
            return
        yield GaugeMetricFamily("contact_center_database_up", "Whether the database answered", value=1)
        calls = GaugeMetricFamily("contact_center_calls", "Calls in the call log by outcome", labels=["outcome"])
        for outcome, count in sorted(outcomes):
            calls.add_metric([outcome], count)
        yield calls
        yield GaugeMetricFamily("contact_center_lookup_failures_recent",
                                "Failed tracking-code lookups in the global window", value=lookup_failures)
        yield GaugeMetricFamily("contact_center_lookup_alert",
                                "1 while failed lookups are at or over tickets.global_failure_limit",
                                value=int(lookup_failures >= limits.global_))
        yield GaugeMetricFamily("contact_center_callbacks_pending",
                                "Callback entries nobody has claimed yet", value=pending)
        recordings = GaugeMetricFamily("contact_center_recording_copies",
                                       "Recordings not yet in the store: pending (retried), failed (gave up)",
                                       labels=["status"])
        for status in COPY_STATES:
            recordings.add_metric([status], copies.get(status, 0))
        yield recordings
        yield GaugeMetricFamily("contact_center_mail_outbox_backlog",
                                "Mails waiting in the outbox to be sent (due, postponed or being sent)",
                                value=outbox.waiting)
        yield GaugeMetricFamily("contact_center_mail_outbox_failed",
                                "Mails the SMTP server refused for good (5xx) or given up after retries",
                                value=outbox.failed)
        oldest = 0.0 if outbox.oldest_waiting is None else max(
            0.0, (self.runtime.clock() - outbox.oldest_waiting).total_seconds())
        yield GaugeMetricFamily("contact_center_mail_outbox_oldest_seconds",
                                "Age of the oldest mail still waiting to be sent", value=oldest)


class Metrics:
    """The service's metrics and the registry /metrics exposes."""

    def __init__(self, runtime: Runtime) -> None:
        multiprocess = bool(os.environ.get(MULTIPROCESS_ENV))
        if multiprocess and not values.ValueClass.__name__.startswith("Mmap"):
            raise RuntimeError(f"prometheus_client was imported before {MULTIPROCESS_ENV} was set: "
                               "each worker would report only its own requests")
        self.registry = CollectorRegistry()
        own = None if multiprocess else self.registry
        if multiprocess:
            MultiProcessCollector(self.registry)  # type: ignore[no-untyped-call]
        self.latency = Histogram("contact_center_webhook_duration_seconds", "Time to answer a webhook",
                                 ["route"], buckets=LATENCY_BUCKETS, registry=own)
        self.responses = Counter("contact_center_webhook_responses", "Webhook answers by HTTP status",
                                 ["route", "status"], registry=own)
        self.apologies = Counter("contact_center_webhook_apologies",
                                 "Webhooks whose step failed and answered with the apology that takes a message",
                                 ["route"], registry=own)
        self.registry.register(StateCollector(runtime))
        self._series: dict[tuple[str, int], tuple[Any, Any]] = {}

    def observe(self, route: str, status: int, seconds: float) -> None:
        """Count one webhook answer."""
        series = self._series.get((route, status))
        if series is None:  # a route's children are looked up (under the metric's lock) once
            series = self._series[route, status] = (self.latency.labels(route),
                                                    self.responses.labels(route, str(status)))
        latency, responses = series
        latency.observe(seconds)
        responses.inc()

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)


def bearer_token_matches(authorization: str | None, token: str) -> bool:
    """Whether an Authorization header carries `token` as a bearer token (constant-time)."""
    scheme, _, given = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())

