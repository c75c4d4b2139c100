"""Every /voice/* endpoint refuses requests not signed by Twilio."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from flask import Flask
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from ivr.webhooks import flow_steps
from tests.conftest import AUTH_TOKEN, PUBLIC_ORIGIN, make_app, make_settings, post_signed, sign

CALL = {"CallSid": "CA" + "1" * 32, "AccountSid": "AC" + "0" * 32, "From": "+393471234567",
        "To": "+39800840840", "CallStatus": "in-progress", "Direction": "inbound"}


def test_the_documented_test_vector_validates() -> None:
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+14158675310", "Digits": "1234",
              "From": "+14158675310", "To": "+18005551212"}
    validator = RequestValidator("12345")
    url = "https://example.com/myapp.php?foo=1&bar=2"
    assert validator.compute_signature(url, params) == "L/OH5YylLD5NRKLltdqwSvS0BnU="


@pytest.mark.parametrize("path", sorted(flow_steps()))
def test_unsigned_requests_are_refused(sqlite_app: Flask, path: str) -> None:
    response = sqlite_app.test_client().post(path, data=CALL)
    assert response.status_code == 403


@pytest.mark.parametrize("path", sorted(flow_steps()))
def test_wrongly_signed_requests_are_refused(sqlite_app: Flask, path: str) -> None:
    client = sqlite_app.test_client()
    assert post_signed(client, path, CALL, token="not-the-token").status_code == 403
    tampered = client.post(path, data={**CALL, "From": "+393330000000"},
                           headers={"X-Twilio-Signature": sign("http://localhost" + path, CALL)})
    assert tampered.status_code == 403


@pytest.mark.parametrize("path", sorted(flow_steps()))
def test_signed_requests_pass(sqlite_app: Flask, path: str) -> None:
    response = post_signed(sqlite_app.test_client(), path, CALL)
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    assert response.data.startswith(b'<?xml version="1.0" encoding="UTF-8"?><Response')


def test_every_value_of_a_repeated_parameter_is_signed(sqlite_app: Flask) -> None:
    """Twilio signs each name's values in order of value: all of them count, as with werkzeug's MultiDict."""
    client = sqlite_app.test_client()
    path = "/voice/menu/choice?attempt=1"
    form = MultiDict([*CALL.items(), ("Digits", "3"), ("Digits", "1")])
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_ORIGIN + path, form)
    assert client.post(path, data=form, headers={"X-Twilio-Signature": signature}).status_code == 200
    changed = MultiDict([*CALL.items(), ("Digits", "3"), ("Digits", "2")])
    assert client.post(path, data=changed, headers={"X-Twilio-Signature": signature}).status_code == 403


def test_the_query_string_is_part_of_the_signature(sqlite_app: Flask) -> None:
    client = sqlite_app.test_client()
    path = "/voice/menu?attempt=2"
    assert post_signed(client, path, CALL).status_code == 200
    forged = client.post("/voice/menu?attempt=3", data=CALL,
                         headers={"X-Twilio-Signature": sign("http://localhost" + path, CALL)})
    assert forged.status_code == 403


def test_behind_a_tls_proxy_the_public_base_url_is_checked(tmp_path: Path, sqlite_url: str) -> None:
    public = "https://cc.example.org"
    proxied = make_app(make_settings(sqlite_url, tmp_path / "i", web={"public_base_url": public}))
    client = proxied.test_client()
    # The proxy rewrote https://cc.example.org to http://localhost: Twilio signed the public URL.
    assert post_signed(client, "/voice/incoming", CALL, origin=public).status_code == 200
    assert post_signed(client, "/voice/incoming", CALL, origin="http://localhost").status_code == 403


def test_a_fallback_url_on_another_hosts_name_is_accepted_only_when_configured(
        tmp_path: Path, sqlite_url: str) -> None:
    public, fallback = "https://cc.example.org", "https://fallback.cc.example.org"
    plain = make_app(make_settings(sqlite_url, tmp_path / "a", web={"public_base_url": public})).test_client()
    assert post_signed(plain, "/voice/fallback", CALL, origin=fallback).status_code == 403
    both = make_app(make_settings(sqlite_url, tmp_path / "b", web={"public_base_url": public,
                                                                   "fallback_base_url": fallback})).test_client()
    for origin in (public, fallback):
        answer = post_signed(both, "/voice/fallback", CALL, origin=origin)
        assert answer.status_code == 200 and b"<Record" in answer.data
    assert post_signed(both, "/voice/fallback", CALL, origin="https://elsewhere.example.org").status_code == 403


def test_a_signature_over_the_url_with_its_default_port_is_accepted_too(tmp_path: Path, sqlite_url: str) -> None:
    proxied = make_app(make_settings(sqlite_url, tmp_path / "i", web={"public_base_url": "https://cc.example.org"}))
    client = proxied.test_client()
    # Twilio has signed some requests over https://host:443/...: validate() checks both forms.
    with_port = sign("https://cc.example.org:443/voice/incoming", CALL)
    assert client.post("/voice/incoming", data=CALL, headers={"X-Twilio-Signature": with_port}).status_code == 200
    other_port = sign("https://cc.example.org:8443/voice/incoming", CALL)
    assert client.post("/voice/incoming", data=CALL, headers={"X-Twilio-Signature": other_port}).status_code == 403


def test_without_public_base_url_a_proxied_request_fails(sqlite_app: Flask) -> None:
    client = sqlite_app.test_client()
    assert post_signed(client, "/voice/incoming", CALL, origin="https://cc.example.org").status_code == 403


def test_the_check_can_be_turned_off_only_explicitly_and_loudly(
        tmp_path: Path, sqlite_url: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        app = make_app(make_settings(sqlite_url, tmp_path / "i", development={"skip_signature_check": True}))
    assert "signature check is OFF" in caplog.text
    assert app.test_client().post("/voice/incoming", data=CALL).status_code == 200


def test_no_token_configured_means_a_random_local_token(tmp_path: Path, sqlite_url: str) -> None:
    settings = make_settings(sqlite_url, tmp_path / "i", twilio={"auth_token": ""})
    app = make_app(settings)
    token = (tmp_path / "i" / "twilio-dev-auth-token").read_text().strip()
    assert len(token) == 32 and token != AUTH_TOKEN
    client = app.test_client()
    assert post_signed(client, "/voice/incoming", CALL, token=token).status_code == 200
    assert post_signed(client, "/voice/incoming", CALL).status_code == 403


def test_oversized_bodies_are_refused_early(sqlite_app: Flask) -> None:
    params = {**CALL, "Digits": "1" * 100_000}
    response = post_signed(sqlite_app.test_client(), "/voice/menu/choice", params)
    assert response.status_code == 413
