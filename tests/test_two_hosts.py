"""Two app hosts behind nginx (the shipped site, round robin), one PostgreSQL, one S3 bucket.

Twilio gives no affinity: the webhooks of one call land on both hosts, and everything a call,
an operator or a citizen relies on must hold across them: messages and their recordings,
opening-hours changes, lookup limits, claims on the callback list, operator reservations.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from access.accounts import Role, add_account
from agents.presence import Presence
from bench.stack import private_database
from callsim import DialInfo, DialOutcome
from callsim.audio import silent_wav
from contact_center.prompts import load_prompts
from hours.clock import utcnow
from storage.models import CallbackMessage
from tests.conftest import POSTGRES_ADMIN_URL
from tests.two_hosts_support import Line, csrf, local_iso, object_store_for_module, running_line, sign_in
from tickets.codes import damm_check_digit
from voicemail.callbacks import open_callback_request

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
pytest_plugins = ("tests.s3_support",)

MESSAGE_SECONDS = 12
PASSWORD = "una password lunga abbastanza"
SAVED = "messaggio è stato registrato"
PROMPTS = load_prompts()


@pytest.fixture(scope="module")
def two_hosts(tmp_path_factory: pytest.TempPathFactory, s3_server: str) -> Iterator[Line]:
    folder = tmp_path_factory.mktemp("two-hosts")
    with private_database(POSTGRES_ADMIN_URL) as database_url, object_store_for_module(s3_server) as store, \
            running_line(folder, [database_url, database_url], store,
                         voicemail={"delete_from_twilio": True}, tickets={"caller_failure_limit": 3}) as line:
        with line.sessions().begin() as session:
            for name in ("Olga Operatrice", "Oreste Operatore"):
                add_account(session, name, Role.OPERATOR, PASSWORD, now=utcnow(), min_password_length=12)
        yield line


def new_lines(line: Line, since: int, prefix: str = "/") -> list:
    return [entry for entry in line.balancer.access_log()[since:] if entry.uri.startswith(prefix)]


def wait_for(condition, seconds: float = 20):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_a_call_crosses_both_hosts_and_host_a_plays_the_recording_host_b_copied(two_hosts: Line) -> None:
    line = two_hosts
    since = len(line.balancer.access_log())
    call = line.simulator().dial(from_="+393471234567")
    call.press("3")
    call.press("1")
    call.record(seconds=MESSAGE_SECONDS, finish_key="#")
    assert SAVED in call.said() and call.ended and call.errors == []
    webhooks = new_lines(line, since, "/voice/")
    assert len(webhooks) >= 5 and line.upstreams(webhooks) == {host.address for host in line.hosts}

    def copied() -> CallbackMessage | None:
        with line.sessions()() as session:
            message = session.scalars(select(CallbackMessage).where(CallbackMessage.call_sid == call.sid)).one()
        return message if message.copy_status == "copied" else None

    message = wait_for(copied)
    assert line.store.keys(line.bucket) == [f"recordings/{message.recording_path}"]
    assert line.fake_api.deleted_recordings == [message.recording_sid]  # Twilio's copy went once the store had it
    [status_callback] = [entry for entry in webhooks if entry.uri.startswith("/voice/message/recording-status")]
    copier = next(host for host in line.hosts if host.address == status_callback.upstream)
    player = next(host for host in line.hosts if host is not copier)

    browser = line.browser()
    assert sign_in(browser, line.balancer.url, "Olga Operatrice", PASSWORD).status_code == 302
    cookie = "; ".join(f"{name}={value}" for name, value in browser.cookies.items())
    path = f"/console/callbacks/{message.entry_id}/recordings/{call.sid}"
    audio = silent_wav(MESSAGE_SECONDS)
    whole = browser.get(player.url + path, headers={"Cookie": cookie}, timeout=10)
    assert (whole.status_code, whole.headers["Content-Type"], whole.content) == (200, "audio/wav", audio)
    seek = browser.get(player.url + path, headers={"Cookie": cookie, "Range": "bytes=4000-4999"}, timeout=10)
    assert (seek.status_code, seek.content) == (206, audio[4000:5000])
    assert seek.headers["Content-Range"] == f"bytes 4000-4999/{len(audio)}"
    through_nginx = browser.get(line.balancer.url + path, headers={"Range": "bytes=-64"}, timeout=10)
    assert (through_nginx.status_code, through_nginx.content) == (206, audio[-64:])


def test_an_hours_change_made_once_holds_on_every_host(two_hosts: Line) -> None:
    line = two_hosts
    now = utcnow()
    closed = line.command("hours", "close", "--from", local_iso(now - timedelta(minutes=1)),
                          "--to", local_iso(now + timedelta(hours=2)), "--reason", "manutenzione straordinaria")
    closure_id = closed.split(":")[0].split()[-1]
    for host in line.hosts:  # a caller asking for an operator hears why the line is closed
        call = line.direct(host).dial(from_="+393331112233")
        call.press("1")
        assert PROMPTS("hours.state.closure_reason", reason="manutenzione straordinaria") in call.said(), host.name
    line.command("hours", "cancel", closure_id)
    for host in line.hosts:
        call = line.direct(host).dial(from_="+393331112233")
        call.press("1")
        assert "manutenzione" not in call.said() and "scegli l'argomento" in call.heard_since_last_input()


def test_lookup_limits_count_the_failures_made_on_every_host(two_hosts: Line) -> None:
    line = two_hosts
    browser = line.browser()
    since = len(line.balancer.access_log())
    unknown = [digits + damm_check_digit(digits) for digits in ("1234567", "7654321", "1111111", "2222222")]
    answers = [browser.get(f"{line.balancer.url}/status", params={"code": code}, timeout=10) for code in unknown]
    assert [answer.status_code for answer in answers] == [404, 404, 404, 429]
    assert "Troppi tentativi" in answers[-1].text and answers[-1].headers["Retry-After"]
    assert line.upstreams(new_lines(line, since, "/status")) == {host.address for host in line.hosts}


def test_two_operators_claiming_on_both_hosts_never_get_the_same_entry(two_hosts: Line) -> None:
    line = two_hosts
    with line.sessions().begin() as session:
        for index in range(8):
            open_callback_request(session, f"CA{index:032d}", f"+39347555{index:04d}", "caller_id", "closed",
                                  now=utcnow() - timedelta(minutes=10))
    claimed: dict[str, list[str]] = {}
    since = len(line.balancer.access_log())

    def work(name: str) -> None:
        browser = line.browser()
        assert sign_in(browser, line.balancer.url, name, PASSWORD).status_code == 302
        token = csrf(browser, f"{line.balancer.url}/console/today")
        claimed[name] = [browser.post(f"{line.balancer.url}/console/callbacks/claim", data={"csrf_token": token},
                                      allow_redirects=False, timeout=30).headers["Location"] for _ in range(4)]

    workers = [threading.Thread(target=work, args=(name,)) for name in ("Olga Operatrice", "Oreste Operatore")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    pages = claimed["Olga Operatrice"] + claimed["Oreste Operatore"]
    assert len(pages) == 8 and len(set(pages)) == 8 and all("/console/callbacks/" in page for page in pages)
    assert line.upstreams(new_lines(line, since, "/console/callbacks/claim")) == {host.address for host in line.hosts}


def test_an_operator_reserved_through_one_host_is_busy_for_the_other(two_hosts: Line) -> None:
    line = two_hosts
    line.command("agents", "add", "Anna", "--phone", "+390668201201")
    line.command("agents", "status", "Anna", Presence.AVAILABLE.value)
    second_caller: list = []

    def while_anna_talks(dial: DialInfo) -> DialOutcome:
        other = line.simulator().dial(from_="+393339998877")
        other.press("1")
        other.press("1")
        second_caller.append(other)
        return DialOutcome(talk_seconds=60)

    first = line.simulator(on_dial=while_anna_talks).dial(from_="+393471230000")
    first.press("1")
    first.press("1")
    [other] = second_caller
    assert [event[1] for event in first.transcript if event[0] == "dial"] == [["+390668201201"]]
    assert [event for event in other.transcript if event[0] == "dial"] == []
    assert PROMPTS("message_reason_all_busy") in other.heard_since_last_input()
    assert first.errors == other.errors == []


def test_the_shipped_site_is_what_nginx_runs(two_hosts: Line, tmp_path: Path) -> None:
    site = (two_hosts.balancer.folder / "contact-center.conf").read_text("utf-8")
    assert "proxy_read_timeout 10s;" in site and "proxy_next_upstream error timeout http_502 http_503;" in site
    assert all(f"server {host.address} max_fails=1" in site for host in two_hosts.hosts)
