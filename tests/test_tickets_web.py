"""The web "Stato della richiesta": the accessible form, its result page, the public JSON, the limits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from contact_center.privacy_settings import PrivacySettings
from tests.conftest import LINE_OPEN_AT, make_app, make_settings
from tickets.codes import damm_check_digit
from tickets.repository import change_status, create_ticket
from tickets.status import Channel, TicketStatus, Topic
from tickets.vocabulary import written_date

PRIVATE_SUMMARY = "Mario Rossi, via Roma 1: crepe dopo la scossa"
NOTICE_URL = PrivacySettings().notice_url


def _ticket(app: Flask, forwarded_to: str | None = None) -> str:
    with app.extensions["contact_center"].sessions.begin() as session:
        ticket = create_ticket(session, channel=Channel.WEB, topic=Topic.RISKS, phone="+393331112222",
                               email="mario.rossi@example.org", summary=PRIVATE_SUMMARY, now=LINE_OPEN_AT)
        if forwarded_to:
            change_status(session, ticket, TicketStatus.FORWARDED, changed_by="op", forwarded_to=forwarded_to,
                          now=LINE_OPEN_AT)
        return ticket.code


def _unknown(code: str) -> str:
    body = ("9" if code[0] != "9" else "8") + code[1:-1]
    return body + damm_check_digit(body)


def _wrong_check_digit(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)


@pytest.fixture
def limited_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(make_settings(database_url, tmp_path / "instance", tickets={"caller_failure_limit": 2}))
    yield app
    app.extensions["contact_center"].engine.dispose()


def test_the_form_is_accessible_and_italian(app: Flask) -> None:
    response = app.test_client().get("/status")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="it">' in page
    assert "<h1>Stato della richiesta</h1>" in page
    assert '<label for="codice">Codice della richiesta</label>' in page
    assert re.search(r'<input type="text" id="codice" name="code" value="" inputmode="numeric"', page)
    assert 'aria-describedby="codice-aiuto"' in page
    assert "Il codice è formato da 12 cifre (8 per le richieste meno recenti)." in page
    assert 'role="alert"' not in page and 'aria-invalid="true"' not in page.split("</style>")[1]
    assert page.count(f'href="{NOTICE_URL}"') == 1  # the full privacy notice, in the footer
    outside = page.replace(NOTICE_URL, "")  # nothing else is fetched or linked elsewhere
    assert "http://" not in outside and "https://" not in outside


@pytest.mark.parametrize("method", ["post", "get"])
def test_a_found_code_shows_the_status_and_nothing_personal(app: Flask, method: str) -> None:
    code = _ticket(app, forwarded_to="Regione Emilia-Romagna")
    client = app.test_client()
    response = client.post("/status", data={"code": code}) if method == "post" else client.get(f"/status?code={code}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "La richiesta è stata inoltrata all&#39;ente competente: Regione Emilia-Romagna." in page
    assert f'<h2 id="esito">Richiesta {code[:4]} {code[4:8]} {code[8:]}</h2>' in page
    today = LINE_OPEN_AT.astimezone(ZoneInfo("Europe/Rome")).date()
    assert f"Ultimo aggiornamento: {written_date(today)}." in page
    assert 'role="status"' in page
    for private in ("Mario", "Rossi", "3331112222", "example.org", "crepe"):
        assert private not in page


@pytest.mark.parametrize(("typed", "status", "message"), [
    ("", 400, "Inserisci il codice della richiesta."),
    ("   ", 400, "Inserisci il codice della richiesta."),
    ("12ab", 400, "Il codice non è valido: controlla le cifre e riprova."),
    ("WRONG", 400, "Il codice non è valido: controlla le cifre e riprova."),
    ("UNKNOWN", 404, "Nessuna richiesta con questo codice."),
])
def test_errors_are_announced_next_to_the_field(app: Flask, typed: str, status: int, message: str) -> None:
    code = _ticket(app)
    typed = {"WRONG": _wrong_check_digit(code), "UNKNOWN": _unknown(code)}.get(typed, typed)
    response = app.test_client().post("/status", data={"code": typed})
    page = response.get_data(as_text=True)
    assert response.status_code == status
    assert f'<p class="error" id="codice-errore" role="alert">{message}</p>' in page
    assert 'aria-describedby="codice-aiuto codice-errore"' in page and 'aria-invalid="true"' in page
    assert "<title>Errore: Stato della richiesta" in page


def test_what_was_typed_is_kept_and_escaped(sqlite_app: Flask) -> None:
    page = sqlite_app.test_client().post("/status", data={"code": '"><script>alert(1)</script>'}).get_data(as_text=True)
    assert "<script>" not in page
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page


def test_the_public_json_has_the_status_only(app: Flask) -> None:
    code = _ticket(app, forwarded_to="Prefettura di Bologna")
    response = app.test_client().get(f"/api/tickets/{code}/status")
    body = response.get_json()
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert set(body) == {"code", "status", "status_label", "status_sentence", "forwarded_to", "updated_at",
                         "updated_on"}
    assert (body["code"], body["status"], body["forwarded_to"]) == (code, "forwarded", "Prefettura di Bologna")
    assert body["status_label"] == "inoltrata all'ente competente"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00", body["updated_at"])


def test_the_public_json_errors(app: Flask) -> None:
    code = _ticket(app)
    client = app.test_client()
    wrong = client.get(f"/api/tickets/{_wrong_check_digit(code)}/status")
    assert (wrong.status_code, wrong.get_json()["error"]) == (400, "invalid_code")
    unknown = client.get(f"/api/tickets/{_unknown(code)}/status")
    assert (unknown.status_code, unknown.get_json()) == (
        404, {"error": "not_found", "message": "Nessuna richiesta con questo codice."})


def test_the_form_refuses_a_client_past_its_limit(limited_app: Flask) -> None:
    code = _ticket(limited_app)
    client = limited_app.test_client()
    assert client.post("/status", data={"code": _unknown(code)}).status_code == 404
    assert client.post("/status", data={"code": "1"}).status_code == 400
    refused = client.post("/status", data={"code": code})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 429
    assert 'role="alert">Troppi tentativi, riprova più tardi.</p>' in page
    assert 3500 < int(refused.headers["Retry-After"]) <= 3601
    assert "ricevuta" not in page
    other = limited_app.test_client().post("/status", data={"code": code},
                                           environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert other.status_code == 200


def test_the_json_shares_the_form_limit(limited_app: Flask) -> None:
    code = _ticket(limited_app)
    client = limited_app.test_client()
    for _ in range(2):
        client.post("/status", data={"code": _unknown(code)})
    refused = client.get(f"/api/tickets/{code}/status")
    assert refused.status_code == 429
    assert refused.get_json() == {"error": "too_many_attempts", "message": "Troppi tentativi, riprova più tardi."}
    assert int(refused.headers["Retry-After"]) > 0


def test_an_empty_entry_is_not_a_failure(limited_app: Flask) -> None:
    code = _ticket(limited_app)
    client = limited_app.test_client()
    for _ in range(5):
        assert client.post("/status", data={"code": ""}).status_code == 400
    assert client.post("/status", data={"code": code}).status_code == 200


def test_forwarded_for_counts_only_behind_trusted_proxies(tmp_path: Path, sqlite_url: str) -> None:
    untrusting = make_app(make_settings(sqlite_url, tmp_path / "a", tickets={"caller_failure_limit": 1}))
    code = _ticket(untrusting)
    client = untrusting.test_client()
    client.post("/status", data={"code": "1"}, headers={"X-Forwarded-For": "203.0.113.1"})
    spoofed = client.post("/status", data={"code": code}, headers={"X-Forwarded-For": "203.0.113.2"})
    assert spoofed.status_code == 429
    proxied = make_app(make_settings(f"sqlite:///{tmp_path / 'b.db'}", tmp_path / "b",
                                     tickets={"caller_failure_limit": 1, "trusted_proxy_hops": 1}))
    code = _ticket(proxied)
    client = proxied.test_client()
    client.post("/status", data={"code": "1"}, headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.1"})
    refused = client.post("/status", data={"code": code}, headers={"X-Forwarded-For": "203.0.113.1"})
    assert refused.status_code == 429
    other = client.post("/status", data={"code": code}, headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.2"})
    assert other.status_code == 200
    for app in (untrusting, proxied):
        app.extensions["contact_center"].engine.dispose()


def test_strangers_cannot_switch_lookups_off_for_a_fresh_address(database_url: str, tmp_path: Path, caplog) -> None:
    """The probe: 110 addresses x 10 unknown codes filled the global limit and refused a real code with 429."""
    app = make_app(make_settings(database_url, tmp_path / "instance",
                                 tickets={"global_failure_limit": 20, "alert_delay_ms": 0, "trusted_proxy_hops": 1}))
    code = _ticket(app)
    client = app.test_client()
    for n in range(11):
        for _ in range(10):
            client.get(f"/api/tickets/{_unknown(code)}/status", headers={"X-Forwarded-For": f"203.0.113.{n}"})
    assert "failures over the global alert figure" in caplog.text
    fresh = client.get(f"/api/tickets/{code}/status", headers={"X-Forwarded-For": "198.51.100.7"})
    assert fresh.status_code == 200 and fresh.get_json()["code"] == code
    page = client.post("/status", data={"code": code}, headers={"X-Forwarded-For": "198.51.100.8"})
    assert page.status_code == 200
    assert "in attesa di lavorazione" in page.get_data(as_text=True)
    app.extensions["contact_center"].engine.dispose()


def test_during_the_alert_failed_web_lookups_wait_and_found_codes_do_not(database_url: str, tmp_path: Path,
                                                                        monkeypatch) -> None:
    app = make_app(make_settings(database_url, tmp_path / "instance",
                                 tickets={"global_failure_limit": 5, "alert_delay_ms": 700, "trusted_proxy_hops": 1}))
    waits: list[float] = []
    monkeypatch.setattr("selfservice.status.time.sleep", waits.append)
    code = _ticket(app)
    client = app.test_client()
    for n in range(5):
        client.get(f"/api/tickets/{_unknown(code)}/status", headers={"X-Forwarded-For": f"203.0.113.{n}"})
    assert waits == [0.7]  # the fifth failure reached the figure
    refused_nobody = client.post("/status", data={"code": _unknown(code)}, headers={"X-Forwarded-For": "198.51.100.1"})
    assert refused_nobody.status_code == 404 and waits == [0.7, 0.7]
    found = client.get(f"/api/tickets/{code}/status", headers={"X-Forwarded-For": "198.51.100.2"})
    assert found.status_code == 200 and waits == [0.7, 0.7]
    app.extensions["contact_center"].engine.dispose()


def test_without_a_secret_key_callers_are_never_hashed_with_an_empty_key(sqlite_url: str, tmp_path: Path) -> None:
    """The probe: with the shipped config, lookup_failures stored HMAC(b"", number), reversible by enumeration."""
    import hashlib
    import hmac

    from sqlalchemy import select

    from storage.models import LookupFailure

    app = make_app(make_settings(sqlite_url, tmp_path / "instance", web={"secret_key": ""}))
    code = _ticket(app)
    assert app.test_client().get(f"/api/tickets/{_unknown(code)}/status").status_code == 404
    with app.extensions["contact_center"].sessions() as session:
        (stored,) = session.scalars(select(LookupFailure.caller_key))
    kept = (tmp_path / "instance" / "console-secret-key").read_text().strip()
    assert len(kept) == 64
    assert stored != hmac.new(b"", b"ip:127.0.0.1", hashlib.sha256).hexdigest()
    assert stored == hmac.new(kept.encode(), b"ip:127.0.0.1", hashlib.sha256).hexdigest()
    app.extensions["contact_center"].engine.dispose()
