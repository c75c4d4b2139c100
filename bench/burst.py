"""Crisis burst: whole calls arriving at a steady rate, optionally through a database outage.

    python bench/burst.py [--rate 50] [--seconds 120] [--workers 3] [--threads 4] [--outage-seconds 10]
    python bench/burst.py --rates 30,40,50 --seconds 120      # the highest rate that passes
    python bench/burst.py --database sqlite --rate 10 --seconds 60  # SQLite, as in the quick start
    python bench/burst.py --hosts 2 --rate 40 --seconds 60   # two hosts behind nginx (deploy/nginx)
    python bench/burst.py --rate 50 --seconds 60 --consoles 50  # 50 open consoles polling the live list

A private PostgreSQL cluster is created (initdb on a port of its own), or with --database sqlite
an SQLite file (WAL) in a temporary folder; the service is served by `contact-center serve` as
the README recommends, and the call simulator plays every call the way Twilio would:
greeting, 3 for a message, 1 to confirm the caller ID, a 12-second message,
the recording status callback, the call's status callback. New calls start at `--rate` per
second whatever the earlier ones are doing; each call runs in a greenlet over one aiohttp
connection pool, so the driver needs no thread per call. A run passes with zero errors (every
caller heard their message saved, every answer was playable TwiML), zero lost entries (one
callback entry with the caller's number and the recording per call, after the journal was
replayed) and a webhook p99 under 100 ms as the driver measured it (what Twilio waits for, any
wait in the listen backlog included; the server's histogram is printed as a diagnostic). With
--outage-seconds the cluster is stopped for that long in the middle of the run, and the p99 must
stay under 500 ms. With --hosts N, N `serve` instances (each its own instance folder
and port, one database) run behind Debian's nginx configured with the shipped site
(deploy/nginx/contact-center.conf, https on loopback): webhooks go round robin, the Fallback URL
names the last host, and the figures add up every host's histogram and journal. With
--consoles N, N signed-in consoles poll /console/live (and fetch the list's rows when it changed) every
--poll-seconds throughout the run, on the same workers as the webhooks (bench/consoles.py).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import resource
import shutil
import ssl
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from sqlalchemy import select

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.burst_report import OUTAGE_P99_TARGET_MS, P99_TARGET_MS, BurstReport, CallResult, print_report
from bench.consoles import ConsoleFigures, create_console_account, keep_polling, open_console
from bench.greenlet_transport import AsyncHttpTransport, run_in_greenlet
from bench.hosts import FALLBACK_BASE_URL, Deployment, deployment
from bench.pgcluster import PrivateCluster
from bench.service_health import METRICS_TOKEN, server_latency, wait_for_journal, webhook_histogram
from bench.stack import PUBLIC_BASE_URL, cpu_seconds
from callsim import Call, RoutingTransport, Simulator, SimulatorError
from callsim.transport import Transport
from contact_center.cli.serve import DEFAULT_THREADS, DEFAULT_WORKERS
from storage.db import make_engine, make_session_factory
from storage.models import CallbackMessage, CallbackRequest

MESSAGE_SECONDS = 12
SAVED = "messaggio è stato registrato"
CONFIRM_PATH = "/voice/message/number/confirm"
RECORDED_PATH = "/voice/message/recorded"
OUTPUT = Path(__file__).with_name("out")


def caller_number(index: int) -> str:
    """A distinct Italian mobile number per call."""
    return f"+39347{index % 10_000_000:07d}"


def leave_a_message(simulator: Simulator, caller: str) -> tuple[Call, str]:
    """Greeting, 3 (message), 1 (keep my number), a message, '#'; and why the caller could not, if so.

    A caller who hears the apology that takes a message (a step failed, or Twilio fell back to
    the Fallback URL) leaves the message there.
    """
    call = simulator.dial(from_=caller)
    keys = ["3", "1"]
    try:
        while not call.ended and call.waiting is not None:
            if call.waiting.kind == "record":
                call.record(seconds=MESSAGE_SECONDS, finish_key="#")
            elif keys:
                call.press(keys.pop(0))
            else:
                return call, f"the caller had nothing more to say ({call.waiting.kind})"
    except SimulatorError as error:  # the service ended or broke the call before the caller was done
        return call, f"{error.__class__.__name__}: {error}"
    return call, ""


def problems_of(call: Call) -> list[str]:
    """Why this call did not go as a caller needs it to, if it did not."""
    problems = [f"{error.code} {urlsplit(error.url).path}: {error.detail[:120]}" for error in call.errors]
    if SAVED not in call.said():
        problems.append("the caller never heard that the message was saved")
    if not call.ended:
        problems.append(f"the call did not end ({call.status})")
    return problems


async def drive(base_url: str, auth_token: str, rate: float, seconds: float, first_index: int = 0,
                events: tuple[tuple[float, Callable[[], None]], ...] = (), *, ca_file: str | None = None,
                fallback_host: str | None = None, consoles: int = 0, poll_seconds: float = 3.0,
                console_figures: ConsoleFigures | None = None, **simulator_options: Any) -> list[CallResult]:
    """Start `rate` calls per second for `seconds`; run each event (a blocking action) at its offset.

    `ca_file` trusts a TLS load balancer's certificate; with `fallback_host`, the number's
    Fallback URL names another origin, which reaches that host directly. `consoles` signed-in
    consoles poll the live list throughout (their figures go to `console_figures`).
    """
    loop = asyncio.get_running_loop()
    tls = ssl.create_default_context(cafile=ca_file) if ca_file else None
    connector = aiohttp.TCPConnector(limit=500, limit_per_host=500, keepalive_timeout=30, ssl=tls or True)
    async with aiohttp.ClientSession(connector=connector) as session:
        transport: Transport = AsyncHttpTransport(session, base_url)
        if fallback_host:
            transport = RoutingTransport(transport, {FALLBACK_BASE_URL: AsyncHttpTransport(session, fallback_host)})
            simulator_options["fallback_url"] = f"{FALLBACK_BASE_URL}/voice/fallback"
        simulator = Simulator(transport, auth_token=auth_token, public_base_url=PUBLIC_BASE_URL, **simulator_options)
        stop = asyncio.Event()
        opened = [await open_console(session, base_url) for _ in range(consoles)]
        pollers = [asyncio.create_task(keep_polling(console, poll_seconds, poll_seconds * number / consoles,
                                                    stop, console_figures or ConsoleFigures()))
                   for number, console in enumerate(opened)]
        heap = asyncio.create_task(_freeze_heap_while(stop))
        started = loop.time()
        timers = [loop.call_at(started + offset, _in_a_thread, loop, action) for offset, action in events]
        tasks = []
        for number in range(round(rate * seconds)):
            due = started + number / rate
            await asyncio.sleep(max(due - loop.time(), 0))
            now = loop.time()
            result = CallResult(first_index + number, caller_number(first_index + number),
                                started_s=now - started, late_ms=(now - due) * 1000)
            tasks.append(asyncio.create_task(_play(simulator, result)))
        results = list(await asyncio.gather(*tasks))
        stop.set()
        await asyncio.gather(*pollers, heap)
        for timer in timers:
            timer.cancel()
    return results


async def _freeze_heap_while(stop: asyncio.Event) -> None:
    """Keep the driver's own garbage collector out of the latencies it measures.

    The results of the finished calls pile up in the driver's heap, and a full collection walks
    all of them: past a minute at 80 calls/s it stalls the event loop for over 100 ms, in the
    middle of requests Twilio would have timed without us. Once a second what the heap holds
    moves out of the collector's reach (gc.freeze); after the run it is given back.
    """
    try:
        while not stop.is_set():
            gc.freeze()
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
    finally:
        gc.unfreeze()


def _in_a_thread(loop: asyncio.AbstractEventLoop, action: Callable[[], None]) -> None:
    """Run a blocking action (stopping the database) beside the calls."""
    loop.run_in_executor(None, action)


async def _play(simulator: Simulator, result: CallResult) -> CallResult:
    try:
        call, interrupted = await run_in_greenlet(leave_a_message, simulator, result.caller)
    except Exception as error:  # a failed call is a finding of the benchmark, not a crash of it
        result.problems.append(f"{error.__class__.__name__}: {error}")
        return result
    result.sid = call.sid
    result.latencies_ms = [request.elapsed_ms for request in call.requests]
    result.sent_at = [request.sent_at for request in call.requests]
    result.urls = [request.url for request in call.requests]
    result.heard = call.said()
    result.accepted = {urlsplit(request.url).path for request in call.requests
                       if request.status is not None and 200 <= request.status < 300}
    result.problems = problems_of(call) + ([interrupted] if interrupted else [])
    return result


def left_a_number(call: CallResult) -> bool:
    """Whether the service accepted the caller's number (the callback entry must exist from then on)."""
    return CONFIRM_PATH in call.accepted


def left_a_message(call: CallResult) -> bool:
    """Whether the service accepted the recording."""
    return RECORDED_PATH in call.accepted


def lost_entries(database_url: str, calls: list[CallResult]) -> int:
    """Calls whose accepted number or message is missing from the callback list.

    A call that left its number must have its message filed on a callback entry for that
    number; one that left a recording must have it attached.
    """
    engine = make_engine(database_url)
    sids = [call.sid for call in calls if call.sid]
    stored: dict[str, tuple[str | None, str | None, str]] = {}
    with make_session_factory(engine)() as session:
        for start in range(0, len(sids), 1000):
            rows = session.execute(
                select(CallbackMessage.call_sid, CallbackMessage.callback_number, CallbackRequest.callback_number,
                       CallbackMessage.message_status)
                .outerjoin(CallbackRequest, CallbackMessage.entry_id == CallbackRequest.id)
                .where(CallbackMessage.call_sid.in_(sids[start:start + 1000])))
            stored.update((sid, (number, listed, status)) for sid, number, listed, status in rows)
    engine.dispose()
    lost = 0
    for call in calls:
        number, listed, status = stored.get(call.sid, (None, None, ""))
        number_lost = left_a_number(call) and not (number == listed == call.caller)
        if number_lost or (left_a_message(call) and status != "recorded"):
            lost += 1
    return lost


class Outage:
    """Stops the cluster at one moment and starts it again `seconds` later, noting when."""

    def __init__(self, cluster: PrivateCluster, seconds: float) -> None:
        self.cluster = cluster
        self.seconds = seconds
        self.stopped_at = self.restarted_at = 0.0
        self._done = threading.Event()

    def __call__(self) -> None:
        self.cluster.stop()
        self.stopped_at = time.monotonic()
        time.sleep(self.seconds)
        self.cluster.start()
        self.restarted_at = time.monotonic()
        self._done.set()

    def wait(self) -> None:
        """Until the cluster is up again."""
        self._done.wait(timeout=self.seconds + 120)

    def describe(self) -> str:
        return f"PostgreSQL down for {self.restarted_at - self.stopped_at:.1f} s"


def run_rate(target: Deployment, database_url: str, token: str, rate: float, seconds: float, first_index: int,
             outage: Outage | None, consoles: int = 0, poll_seconds: float = 3.0) -> BurstReport:
    """One run at one arrival rate, checked end to end (every host's histogram and journal)."""
    before = _histograms(target)
    cpu_before = {**_cpu(target), "driver": _own_cpu()}
    events = ((seconds / 2 - outage.seconds / 2, outage),) if outage else ()
    wall = time.monotonic()
    console_figures = ConsoleFigures()
    calls = asyncio.run(drive(target.url, token, rate, seconds, first_index, events, ca_file=target.ca_file,
                              fallback_host=target.fallback_host, consoles=consoles, poll_seconds=poll_seconds,
                              console_figures=console_figures))
    wall = time.monotonic() - wall
    cpu = {name: value - cpu_before[name] for name, value in {**_cpu(target), "driver": _own_cpu()}.items()}
    description = ""
    if outage:
        outage.wait()
        replay_seconds = max(wait_for_journal(url) for url in target.host_urls)
        description = f"{outage.describe()}; journal replayed {replay_seconds:.1f} s after the run"
    else:
        for url in target.host_urls:
            wait_for_journal(url)
    p99_bound, under_100 = server_latency(before, _histograms(target))
    span = calls[-1].started_s - calls[0].started_s if len(calls) > 1 else 0.0
    achieved = (len(calls) - 1) / span if span else 0.0
    return BurstReport(rate, seconds, calls, achieved, lost_entries(database_url, calls), p99_bound, under_100,
                       description, {name: value / wall for name, value in cpu.items()},
                       OUTAGE_P99_TARGET_MS if outage else P99_TARGET_MS,
                       console_figures.describe(consoles, poll_seconds) if consoles else "")


def _histograms(target: Deployment) -> dict[float, float]:
    """The webhook histograms of every host, added up."""
    total: dict[float, float] = {}
    for url in target.host_urls:
        for bound, count in webhook_histogram(url).items():
            total[bound] = total.get(bound, 0.0) + count
    return total


def _cpu(target: Deployment) -> dict[str, float]:
    return {name: sum(cpu_seconds(pid) for pid in pids) for name, pids in target.processes.items()}


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def burst_database(kind: str, folder: Path) -> Iterator[tuple[str, PrivateCluster | None]]:
    """The service's database: a private PostgreSQL cluster (yielded too), or an SQLite file in `folder`."""
    if kind == "sqlite":
        (folder / "instance").mkdir(exist_ok=True)
        yield f"sqlite:///{folder / 'instance' / 'contact-center.db'}", None
        return
    cluster = PrivateCluster()
    cluster.create()
    try:
        yield cluster.url, cluster
    finally:
        # PostgreSQL's own log (its checkpoints included) stays beside the service's, for a slow run.
        OUTPUT.mkdir(exist_ok=True)
        with suppress(OSError):
            shutil.copyfile(cluster.folder / "server.log", OUTPUT / "burst-postgresql.log")
        cluster.destroy()


def burst(folder: Path, database_url: str, cluster: PrivateCluster | None, args: argparse.Namespace,
          rates: list[float]) -> None:
    """Serve the service on that database, warm it up, run each rate and print its figures."""
    with deployment(folder, database_url, args.hosts, args.workers, args.threads, METRICS_TOKEN,
                    balanced=args.nginx) as (target, token):
        if args.consoles:
            create_console_account(database_url)
        asyncio.run(drive(target.url, token, 10, 2, first_index=9_000_000, ca_file=target.ca_file,
                          fallback_host=target.fallback_host))  # warm-up
        highest = 0.0
        for number, rate in enumerate(rates):
            outage = Outage(cluster, args.outage_seconds) if cluster and args.outage_seconds else None
            measured = cluster if outage is None else None  # SQLite's work is counted in the service's CPU
            report = None  # the last run's calls go before this run starts, collected outside its window
            gc.collect()
            speed_before = machine_speed_ms()
            database_before = cpu_seconds(measured.postmaster_pid()) if measured else 0.0
            started = time.monotonic()
            report = run_rate(target, database_url, token, rate, args.seconds, number * 1_000_000, outage,
                              args.consoles, args.poll_seconds)
            speed_after = machine_speed_ms()
            database_cpu = ((cpu_seconds(measured.postmaster_pid()) - database_before) / (time.monotonic() - started)
                            if measured else None)
            print_report(report, database_cpu)
            print(f"   machine speed: a fixed Python loop took {speed_before:.0f} ms before the run, "
                  f"{speed_after:.0f} ms after")
            if report.passed:
                highest = max(highest, rate)
        target = OUTAGE_P99_TARGET_MS if cluster and args.outage_seconds else P99_TARGET_MS
        print(f"\nhighest arrival rate sustained with zero errors, zero lost and driver-side webhook p99 < "
              f"{target:g} ms: {highest:g} calls/s (target 80; 50 through an outage)")
        print(f"load average after: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")


def machine_speed_ms() -> float:
    """CPU milliseconds a fixed pure-Python loop takes: a VM's speed drifts (seen here: the same loop took
    up to 1.7 times as long at one moment as at another, within an hour, idle). It does not catch
    every slowdown (what other tenants do to caches and memory), but a slow figure explains a run."""
    started = time.process_time()
    sum(number * number for number in range(3_000_000))
    return (time.process_time() - started) * 1000


def main() -> None:
    """Serve the service on a private database and run the burst at each rate asked."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=50, help="new calls per second")
    parser.add_argument("--rates", help="comma-separated rates to try in turn (overrides --rate)")
    parser.add_argument("--seconds", type=float, default=120, help="how long calls keep arriving")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    parser.add_argument("--outage-seconds", type=float, default=0, help="stop PostgreSQL this long mid-run")
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql",
                        help="a private PostgreSQL cluster, or an SQLite file (WAL) as in the quick start")
    parser.add_argument("--hosts", type=int, default=1, help="serve instances; more than one run behind nginx")
    parser.add_argument("--nginx", action="store_true", help="one host behind nginx too (the shipped site)")
    parser.add_argument("--consoles", type=int, default=0, help="signed-in consoles polling the live list")
    parser.add_argument("--poll-seconds", type=float, default=3.0, help="how often each console polls")
    args = parser.parse_args()
    if args.outage_seconds and args.database == "sqlite":
        parser.error("--outage-seconds stops a PostgreSQL cluster: not with --database sqlite")
    if args.hosts > 1 and args.database == "sqlite":
        parser.error("--hosts shares one database between hosts: PostgreSQL only")
    rates = [float(rate) for rate in args.rates.split(",")] if args.rates else [args.rate]
    kind = "SQLite file (WAL)" if args.database == "sqlite" else "private PostgreSQL cluster"
    layout = f"{args.hosts} hosts behind nginx" if args.hosts > 1 or args.nginx else "1 host"
    print(f"{layout}, each gunicorn {args.workers} workers x {args.threads} threads, {kind}, "
          f"load average before: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="cc-burst-") as temporary:
        folder = Path(temporary)
        try:
            with burst_database(args.database, folder) as (database_url, cluster):
                burst(folder, database_url, cluster, args, rates)
        finally:
            for log in sorted(folder.glob("host-*/serve.log")):
                kept = OUTPUT / f"burst-serve-{log.parent.name}.log"
                OUTPUT.mkdir(exist_ok=True)
                shutil.copyfile(log, kept)
                print(f"the service's log: {kept}")


if __name__ == "__main__":
    main()
