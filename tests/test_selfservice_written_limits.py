"""Abuse of «Scrivi al Contact Center»: per-address allowances (IPv6 per /64), counted atomically; mail bombs."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from access.address_limits import client_network
from storage.models import OutboxMail, Ticket
from tests.written_support import close_app, mail_app, submit

SMTP_URL = "smtp://127.0.0.1:9"  # never reached: these tests only count what is queued


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = mail_app(database_url, tmp_path, SMTP_URL, written={"address_limit": 10, "recipient_mail_limit": 5})
    yield app
    close_app(app)


def counts(app: Flask) -> tuple[int, int]:
    with app.extensions["contact_center"].sessions() as session:
        return (int(session.scalar(select(func.count()).select_from(Ticket)) or 0),
                int(session.scalar(select(func.count()).select_from(OutboxMail)) or 0))


@pytest.mark.parametrize(("address", "same_network"), [
    ("203.0.113.7", "203.0.113.7"),
    ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
    ("2001:DB8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
    ("::ffff:203.0.113.7", "203.0.113.7"),
    ("fe80::1%eth0", "fe80::/64"),
    ("not an address", "not an address"),
])
def test_what_a_limit_counts(address: str, same_network: str) -> None:
    assert client_network(address) == same_network


def test_a_bot_posting_a_thousand_forms_gets_its_allowance_and_no_more_mail(app: Flask) -> None:
    client = app.test_client()
    statuses = [submit(client, address="198.51.100.23", token=secrets.token_urlsafe(18),
                       email=f"bersaglio{index}@example.org").status_code for index in range(1000)]
    assert statuses.count(200) == 10 and statuses.count(429) == 990
    assert counts(app) == (10, 10)
    refused = submit(client, address="198.51.100.23")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Da questa connessione sono state inviate troppe richieste" in refused.get_data(as_text=True)
    assert submit(client, address="198.51.100.24").status_code == 200  # someone else is not refused


def test_ipv6_clients_are_counted_per_64(app: Flask) -> None:
    client = app.test_client()
    for index in range(10):
        assert submit(client, address=f"2001:db8:aa:1::{index + 1:x}").status_code == 200
    assert submit(client, address="2001:db8:aa:1:ffff::99").status_code == 429
    assert submit(client, address="2001:db8:aa:2::1").status_code == 200


def test_concurrent_forms_from_one_address_never_pass_the_allowance(app: Flask) -> None:
    results: list[int] = []
    lock = threading.Lock()

    def bot() -> None:
        client = app.test_client()
        for _ in range(5):
            status = submit(client, address="192.0.2.50", token=secrets.token_urlsafe(18),
                            email=f"c{secrets.token_hex(4)}@example.org").status_code
            with lock:
                results.append(status)

    threads = [threading.Thread(target=bot) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(set(results)) == [200, 429] and results.count(200) == 10
    assert counts(app) == (10, 10)


def test_one_address_is_mailed_a_few_codes_however_many_senders_use_it(app: Flask) -> None:
    client = app.test_client()
    pages = [submit(client, address=f"203.0.113.{index}", email="vittima@example.org").get_data(as_text=True)
             for index in range(1, 8)]
    assert counts(app) == (7, 5)
    assert all("Ti invieremo il codice anche per e-mail" in page for page in pages[:5])
    assert all("ne sono già stati inviati troppi: annotalo" in page for page in pages[5:])


def test_behind_a_trusted_proxy_the_forwarded_address_is_counted(database_url: str, tmp_path: Path) -> None:
    app = mail_app(database_url, tmp_path, SMTP_URL, written={"address_limit": 1}, tickets={"trusted_proxy_hops": 1})
    try:
        client = app.test_client()

        def via_proxy(address: str) -> int:
            return int(client.post("/scrivi", data={"topic": "other", "email": "a@example.org", "message": "x",
                                                    "consent": "si", "token": secrets.token_urlsafe(18)},
                                   headers={"X-Forwarded-For": address},
                                   environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code)

        assert via_proxy("203.0.113.1") == 200
        assert via_proxy("203.0.113.1") == 429
        assert via_proxy("203.0.113.2") == 200
    finally:
        close_app(app)
