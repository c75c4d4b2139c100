"""The Account page: what a supervisor sees (rows, states, forms) and each action, with its audit line."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from access.accounts import Role, find_account
from contact_center.cli import cli
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import AuditEntry, ConsoleAccount
from tests.conftest import make_app
from tests.test_console_support import PASSWORD, create_account, post_form, sign_in


@pytest.fixture
def console_app(settings) -> Iterator[Flask]:
    app = make_app(settings)
    create_account(app, "Sara Supervisora", Role.SUPERVISOR)
    create_account(app, "Olga Operatrice", Role.OPERATOR, phone="+393471234567")
    create_account(app, "Ugo Senzatelefono", Role.OPERATOR)
    yield app
    app.extensions["contact_center"].engine.dispose()


@pytest.fixture
def supervisor(console_app: Flask) -> FlaskClient:
    client = console_app.test_client()
    assert sign_in(client, "Sara Supervisora").status_code == 302
    return client


def _id(app: Flask, name: str) -> int:
    with app.extensions["contact_center"].sessions() as db:
        return find_account(db, name).id


def _account(app: Flask, name: str) -> ConsoleAccount:
    with app.extensions["contact_center"].sessions() as db:
        account = find_account(db, name)
        db.expunge(account)
        return account


def _last_audit(app: Flask) -> tuple[str, str, str, str]:
    with app.extensions["contact_center"].sessions() as db:
        entry = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        return entry.actor, entry.action, entry.target, entry.detail


def _row(page: str, account_id: int) -> str:
    match = re.search(rf'<tr id="account-{account_id}">(.*?)</tr>', page, re.S)
    assert match, f"no row for account {account_id}"
    return match[1]


def _flash(response) -> str:
    assert response.status_code == 302 and response.headers["Location"] == "/console/accounts"
    return response


def test_the_page_shows_every_account_with_its_state_and_the_forms(console_app: Flask,
                                                                   supervisor: FlaskClient) -> None:
    page = supervisor.get("/console/accounts").get_data(as_text=True)
    assert "<h1>Account della console</h1>" in page
    olga = _row(page, _id(console_app, "Olga Operatrice"))
    assert "Olga Operatrice" in olga and "operatore" in olga and "347 123 4567" in olga and "attivo" in olga
    assert "Disattiva" in olga and "Salva il telefono" in olga and "Cambia la password" in olga
    assert 'value="+393471234567"' in olga and "mai" in olga
    ugo = _row(page, _id(console_app, "Ugo Senzatelefono"))
    assert "nessuno" in ugo
    sara = _row(page, _id(console_app, "Sara Supervisora"))
    assert "supervisore" in sara and "Disattiva" not in sara  # no button to disable oneself
    assert "<h2>Nuovo account</h2>" in page and 'name="password_again"' in page
    assert "Sblocca" not in _row(page, _id(console_app, "Olga Operatrice"))


def test_a_supervisor_adds_an_account_that_can_sign_in(console_app: Flask, supervisor: FlaskClient) -> None:
    form = {"name": "Nina Nuova", "role": "operator", "phone": "06 1234 5678",
            "password": PASSWORD, "password_again": PASSWORD}
    _flash(post_form(supervisor, "/console/accounts", form))
    page = supervisor.get("/console/accounts").get_data(as_text=True)
    assert "Account «Nina Nuova» creato." in page
    assert "06 1234 5678" in _row(page, _id(console_app, "Nina Nuova"))
    assert _last_audit(console_app) == ("Sara Supervisora", "account_add", "Nina Nuova", "ruolo operator")
    assert sign_in(console_app.test_client(), "Nina Nuova").status_code == 302
    mismatch = post_form(supervisor, "/console/accounts", {**form, "name": "Altra", "password_again": "diversa"})
    assert "Le due password non coincidono." in supervisor.get(mismatch.headers["Location"]).get_data(as_text=True)


def test_disable_and_enable_change_the_row_and_are_audited(console_app: Flask, supervisor: FlaskClient) -> None:
    olga = _id(console_app, "Olga Operatrice")
    _flash(post_form(supervisor, f"/console/accounts/{olga}/active", {"active": "0"}))
    page = supervisor.get("/console/accounts").get_data(as_text=True)
    assert "Account «Olga Operatrice» disattivato." in page
    assert "disattivato" in _row(page, olga) and "Riattiva" in _row(page, olga)
    assert _last_audit(console_app)[:3] == ("Sara Supervisora", "account_disable", "Olga Operatrice")
    assert sign_in(console_app.test_client(), "Olga Operatrice").status_code == 401
    _flash(post_form(supervisor, f"/console/accounts/{olga}/active", {"active": "1"}))
    assert "Disattiva" in _row(supervisor.get("/console/accounts").get_data(as_text=True), olga)
    assert _last_audit(console_app)[:3] == ("Sara Supervisora", "account_enable", "Olga Operatrice")
    assert sign_in(console_app.test_client(), "Olga Operatrice").status_code == 302


def test_unlock_shows_only_for_a_delayed_account_and_lifts_the_delay(console_app: Flask,
                                                                    supervisor: FlaskClient) -> None:
    stranger = console_app.test_client()
    stranger.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    for _ in range(6):
        sign_in(stranger, "Olga Operatrice", "password sbagliata")
    assert sign_in(stranger, "Olga Operatrice").status_code == 401
    olga = _id(console_app, "Olga Operatrice")
    row = _row(supervisor.get("/console/accounts").get_data(as_text=True), olga)
    assert "tentativi falliti" in row and "Sblocca" in row
    _flash(post_form(supervisor, f"/console/accounts/{olga}/unlock", {}))
    page = supervisor.get("/console/accounts").get_data(as_text=True)
    assert "sbloccato: può accedere subito" in page
    assert "Sblocca" not in _row(page, olga) and "tentativi falliti" not in _row(page, olga)
    assert _last_audit(console_app)[:3] == ("Sara Supervisora", "account_unlock", "Olga Operatrice")
    assert sign_in(stranger, "Olga Operatrice").status_code == 302


def test_a_new_password_replaces_the_old_one(console_app: Flask, supervisor: FlaskClient) -> None:
    olga = _id(console_app, "Olga Operatrice")
    new = "una nuova password lunga"
    short = post_form(supervisor, f"/console/accounts/{olga}/password",
                      {"password": "corta", "password_again": "corta"})
    assert "almeno 12 caratteri" in supervisor.get(short.headers["Location"]).get_data(as_text=True)
    _flash(post_form(supervisor, f"/console/accounts/{olga}/password", {"password": new, "password_again": new}))
    assert "Password di «Olga Operatrice» cambiata." in supervisor.get("/console/accounts").get_data(as_text=True)
    assert _last_audit(console_app)[:3] == ("Sara Supervisora", "account_password", "Olga Operatrice")
    assert sign_in(console_app.test_client(), "Olga Operatrice").status_code == 401
    assert sign_in(console_app.test_client(), "Olga Operatrice", new).status_code == 302


def test_a_supervisor_sets_and_clears_an_operators_phone(console_app: Flask, supervisor: FlaskClient) -> None:
    ugo = _id(console_app, "Ugo Senzatelefono")
    _flash(post_form(supervisor, f"/console/accounts/{ugo}/phone", {"phone": "333 987 6543"}))
    page = supervisor.get("/console/accounts").get_data(as_text=True)
    assert "Telefono di «Ugo Senzatelefono» impostato." in page
    assert "333 987 6543" in _row(page, ugo)
    assert _account(console_app, "Ugo Senzatelefono").phone == "+393339876543"
    assert _last_audit(console_app) == ("Sara Supervisora", "account_phone", "Ugo Senzatelefono",
                                        "telefono impostato")
    bad = post_form(supervisor, f"/console/accounts/{ugo}/phone", {"phone": "non è un numero"})
    assert "Operazione non riuscita" in supervisor.get(bad.headers["Location"]).get_data(as_text=True)
    assert _account(console_app, "Ugo Senzatelefono").phone == "+393339876543"
    _flash(post_form(supervisor, f"/console/accounts/{ugo}/phone", {"phone": ""}))
    assert "nessuno" in _row(supervisor.get("/console/accounts").get_data(as_text=True), ugo)
    assert _account(console_app, "Ugo Senzatelefono").phone is None
    assert _last_audit(console_app)[1:] == ("account_phone", "Ugo Senzatelefono", "telefono tolto")


def test_an_operator_cannot_set_a_phone(console_app: Flask) -> None:
    operator = console_app.test_client()
    sign_in(operator, "Ugo Senzatelefono")
    ugo = _id(console_app, "Ugo Senzatelefono")
    assert post_form(operator, f"/console/accounts/{ugo}/phone", {"phone": "3339876543"}).status_code == 403
    assert _account(console_app, "Ugo Senzatelefono").phone is None


def test_operators_phone_sets_and_clears_from_the_command_line(tmp_path: Path, sqlite_url: str) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"database:\n  url: \"{sqlite_url}\"\n  instance_dir: \"{tmp_path / 'instance'}\"\n")
    engine = make_engine(sqlite_url)
    upgrade(engine)
    runner = CliRunner()
    runner.invoke(cli, ["--config", str(config), "operators", "add", "Anna", "--role", "operator"],
                  input=f"{PASSWORD}\n{PASSWORD}\n")

    def operators(*arguments: str):
        return runner.invoke(cli, ["--config", str(config), "operators", *arguments])

    done = operators("phone", "Anna", "347 123 4567")
    assert (done.exit_code, done.output) == (0, "telefono di 'Anna': +393471234567\n")
    assert '"phone": "+393471234567"' in operators("list", "--json").output
    bad = operators("phone", "Anna", "12")
    assert bad.exit_code == 1 and "Traceback" not in bad.output
    missing = operators("phone", "Nessuno", "3471234567")
    assert missing.exit_code == 1 and "nessun account" in missing.output
    assert operators("phone", "Anna").exit_code == 2
    cleared = operators("phone", "Anna", "--clear")
    assert (cleared.exit_code, cleared.output) == (0, "telefono di 'Anna' tolto\n")
    with make_session_factory(engine)() as session:
        assert find_account(session, "Anna").phone is None
        details = [(e.actor, e.action, e.detail) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    engine.dispose()
    assert details[-2:] == [("cli", "account_phone", "telefono impostato"), ("cli", "account_phone", "telefono tolto")]
