"""Console accounts: hashing, roles, sign-in delays per (name, address) and per address, the `operators` commands."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from unittest.mock import Mock, patch

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from access import accounts
from access.accounts import (
    AccountError,
    Role,
    add_account,
    has_role,
    is_delayed,
    lift_lock,
    list_accounts,
    set_active,
    set_password,
    sign_in,
)
from access.throttle import ThrottlePolicy, delay_after
from contact_center.cli import cli
from hours.clock import utcnow
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import AuditEntry, ConsoleAccount
from tests.conftest import LINE_OPEN_AT

PASSWORD = "una password lunga"
POLICY = ThrottlePolicy(per_account_address=3, per_address=6, max_delay=timedelta(minutes=10))
HOME = "192.0.2.10"
STRANGER = "203.0.113.99"


@pytest.fixture
def sessions(database_url: str):
    engine = make_engine(database_url)
    upgrade(engine)
    yield make_session_factory(engine)
    engine.dispose()


def _add(sessions, name: str = "Maria Rossi", role: Role = Role.OPERATOR) -> None:
    with sessions.begin() as session:
        add_account(session, name, role, PASSWORD, min_password_length=12, now=LINE_OPEN_AT)


def test_passwords_are_stored_as_argon2id_hashes(sessions) -> None:
    _add(sessions)
    with sessions() as session:
        stored = session.scalars(select(ConsoleAccount)).one()
    assert stored.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert PASSWORD not in stored.password_hash


def _try(sessions, name: str, password: str, at=LINE_OPEN_AT, address: str = HOME) -> str:
    with sessions.begin() as session:
        return sign_in(session, name, password, address, POLICY, at).outcome


def test_a_correct_password_signs_in_and_a_wrong_one_does_not(sessions) -> None:
    _add(sessions)
    assert _try(sessions, "Maria Rossi", PASSWORD) == "ok"
    assert _try(sessions, "Maria Rossi", "una password sbagliata") == "wrong"
    assert _try(sessions, "Nessuno", PASSWORD) == "wrong"
    assert _try(sessions, "  Maria   Rossi ", PASSWORD) == "ok"


def test_a_stranger_elsewhere_cannot_lock_an_operator_out(sessions) -> None:
    """The probe: five wrong passwords from anywhere locked a named account for 15 minutes."""
    _add(sessions)
    for attempt in range(50):
        _try(sessions, "Maria Rossi", f"sbagliata {attempt}", address=STRANGER)
    assert _try(sessions, "Maria Rossi", PASSWORD) == "ok"


def test_failures_from_one_address_grow_its_delay_and_the_delay_ends(sessions) -> None:
    _add(sessions)
    for attempt in range(POLICY.per_account_address):
        assert _try(sessions, "Maria Rossi", f"sbagliata {attempt}", address=STRANGER) == "wrong"
    assert _try(sessions, "Maria Rossi", PASSWORD, address=STRANGER) == "throttled"
    assert _try(sessions, "Maria Rossi", PASSWORD, LINE_OPEN_AT + timedelta(seconds=3), STRANGER) == "ok"
    assert delay_after(3, 3, timedelta(minutes=10)) == timedelta(seconds=2)
    assert delay_after(4, 3, timedelta(minutes=10)) == timedelta(seconds=4)
    assert delay_after(40, 3, timedelta(minutes=10)) == timedelta(minutes=10)


def test_one_address_guessing_many_names_is_slowed_down(sessions) -> None:
    _add(sessions)
    for n in range(POLICY.per_address):
        assert _try(sessions, f"nome {n}", "sbagliata", address=STRANGER) == "wrong"
    assert _try(sessions, "Maria Rossi", PASSWORD, address=STRANGER) == "throttled"
    assert _try(sessions, "Maria Rossi", PASSWORD) == "ok"


def test_a_success_resets_the_count_of_failures(sessions) -> None:
    _add(sessions)
    for _ in range(2):
        for _ in range(POLICY.per_account_address - 1):
            _try(sessions, "Maria Rossi", "sbagliata")
        assert _try(sessions, "Maria Rossi", PASSWORD) == "ok"


def test_unknown_wrong_delayed_and_disabled_cost_the_same_work(sessions) -> None:
    """Each refusal does one argon2 check and the same statements, so timing tells nothing apart."""
    _add(sessions, "Maria Rossi")
    _add(sessions, "Anna Verdi")
    with sessions.begin() as session:
        set_active(session, "Anna Verdi", False)
    outcomes = {_try(sessions, "Nessuno", "sbagliata"), _try(sessions, "Maria Rossi", "sbagliata"),
                _try(sessions, "Anna Verdi", PASSWORD)}
    assert outcomes == {"wrong", "disabled"}
    for attempt in range(POLICY.per_account_address):
        _try(sessions, "Maria Rossi", f"sbagliata {attempt}", address=STRANGER)
    with patch.object(accounts, "_HASHER", Mock(wraps=accounts._HASHER)) as hasher:
        assert _try(sessions, "Nessuno", "x", address="192.0.2.50") == "wrong"
        assert _try(sessions, "Maria Rossi", "x", address="192.0.2.50") == "wrong"
        assert _try(sessions, "Anna Verdi", PASSWORD, address="192.0.2.50") == "disabled"
        assert _try(sessions, "Maria Rossi", PASSWORD, address=STRANGER) == "throttled"
    assert hasher.verify.call_count == 4


def test_a_supervisor_lifts_the_delays_of_an_account_from_every_address(sessions) -> None:
    _add(sessions)
    for attempt in range(POLICY.per_account_address):
        _try(sessions, "Maria Rossi", f"sbagliata {attempt}", address=STRANGER)
    with sessions.begin() as session:
        account = lift_lock(session, "Maria Rossi")
        assert not is_delayed(session, account, POLICY, LINE_OPEN_AT)
    assert _try(sessions, "Maria Rossi", PASSWORD, address=STRANGER) == "ok"


def test_a_disabled_account_cannot_sign_in_until_enabled(sessions) -> None:
    _add(sessions)
    with sessions.begin() as session:
        epoch = set_active(session, "Maria Rossi", False).session_epoch
        assert sign_in(session, "Maria Rossi", PASSWORD, HOME, POLICY, LINE_OPEN_AT).outcome == "disabled"
    with sessions.begin() as session:
        assert set_active(session, "Maria Rossi", True).session_epoch != epoch
        assert sign_in(session, "Maria Rossi", PASSWORD, HOME, POLICY, LINE_OPEN_AT).outcome == "ok"


def test_a_new_password_replaces_the_old_one(sessions) -> None:
    _add(sessions)
    with sessions.begin() as session:
        set_password(session, "Maria Rossi", "un'altra password lunga", min_password_length=12)
    with sessions.begin() as session:
        assert sign_in(session, "Maria Rossi", PASSWORD, HOME, POLICY, LINE_OPEN_AT).outcome == "wrong"
        assert sign_in(session, "Maria Rossi", "un'altra password lunga", HOME, POLICY, LINE_OPEN_AT).outcome == "ok"


@pytest.mark.parametrize(("name", "password", "phone", "reason"), [
    ("", PASSWORD, None, "nome"),
    ("x" * 81, PASSWORD, None, "nome"),
    ("Mario\x07", PASSWORD, None, "controllo"),
    ("Mario", "corta", None, "almeno 12"),
    ("Mario", " " * 20, None, "spazi"),
    ("Mario", PASSWORD, "12", "numero"),
])
def test_bad_accounts_are_refused_with_a_reason(sessions, name: str, password: str, phone: str | None,
                                                reason: str) -> None:
    with sessions.begin() as session, pytest.raises(AccountError, match=reason):
        add_account(session, name, Role.OPERATOR, password, phone=phone, min_password_length=12, now=LINE_OPEN_AT)


def test_names_are_unique(sessions) -> None:
    _add(sessions)
    with sessions.begin() as session, pytest.raises(AccountError, match="esiste già"):
        add_account(session, "Maria  Rossi", Role.SUPERVISOR, PASSWORD, min_password_length=12, now=LINE_OPEN_AT)
    with sessions() as session:
        assert [a.name for a in list_accounts(session)] == ["Maria Rossi"]


def test_supervisors_may_do_what_operators_do_but_not_the_reverse() -> None:
    assert has_role("supervisor", Role.OPERATOR) and has_role("supervisor", Role.SUPERVISOR)
    assert has_role("operator", Role.OPERATOR) and not has_role("operator", Role.SUPERVISOR)


def _config(tmp_path: Path, database_url: str) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(f"database:\n  url: \"{database_url}\"\n  instance_dir: \"{tmp_path / 'instance'}\"\n")
    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()
    return str(path)


def test_operators_add_prompts_twice_and_list_shows_the_account(tmp_path: Path, sqlite_url: str) -> None:
    config = _config(tmp_path, sqlite_url)
    runner = CliRunner()
    added = runner.invoke(cli, ["--config", config, "operators", "add", "Anna Verdi", "--role", "supervisor",
                                "--phone", "+39 06 1234 5678"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.exit_code == 0, added.output
    assert PASSWORD not in added.output
    listed = runner.invoke(cli, ["--config", config, "operators", "list", "--json"])
    assert '"name": "Anna Verdi"' in listed.output and '"role": "supervisor"' in listed.output
    assert '"phone": "+390612345678"' in listed.output


def test_operators_commands_speak_italian(tmp_path: Path, sqlite_url: str) -> None:
    config = _config(tmp_path, sqlite_url)
    runner = CliRunner()

    def operators(*arguments: str, typed: str | None = None) -> str:
        result = runner.invoke(cli, ["--config", config, "operators", *arguments], input=typed)
        assert result.exit_code == 0, result.output
        return result.output

    assert operators("list") == ("nessun account: creane uno con "
                                 "`contact-center operators add NOME --role supervisor`\n")
    added = operators("add", "Anna Verdi", "--role", "supervisor", "--phone", "+39 06 1234 5678",
                      typed=f"{PASSWORD}\n{PASSWORD}\n")
    assert added == ("Password (almeno 12 caratteri): \nRipeti la password: \n"
                     "account 'Anna Verdi' creato (supervisore)\n")
    assert operators("list") == (f"{'Anna Verdi':30}  supervisore   attivo       +390612345678     "
                                 "ultimo accesso mai\n")
    assert operators("role", "Anna Verdi", "operator") == "'Anna Verdi' ora è operatore\n"
    assert operators("disable", "Anna Verdi") == "account 'Anna Verdi' disattivato\n"
    assert operators("enable", "Anna Verdi") == "account 'Anna Verdi' riattivato\n"
    assert operators("password", "Anna Verdi", typed=f"{PASSWORD}!\n{PASSWORD}!\n").endswith(
        "password di 'Anna Verdi' cambiata\n")


def test_operators_add_refuses_a_mismatched_confirmation_and_a_short_password(
        tmp_path: Path, sqlite_url: str) -> None:
    config = _config(tmp_path, sqlite_url)
    runner = CliRunner()
    mismatch = runner.invoke(cli, ["--config", config, "operators", "add", "Anna", "--role", "operator"],
                             input=f"{PASSWORD}\nun'altra cosa lunga\n{PASSWORD}\n{PASSWORD}\n")
    assert "Error: The two entered values do not match." in mismatch.output
    assert mismatch.exit_code == 0
    short = runner.invoke(cli, ["--config", config, "operators", "add", "Bruno", "--role", "operator"],
                          input="corta\ncorta\n")
    assert short.exit_code == 1 and "almeno 12 caratteri" in short.output
    bad_role = runner.invoke(cli, ["--config", config, "operators", "add", "Carla", "--role", "admin"])
    assert bad_role.exit_code == 2 and "Traceback" not in bad_role.output


def test_operators_disable_ends_the_account_and_is_audited(tmp_path: Path, sqlite_url: str) -> None:
    config = _config(tmp_path, sqlite_url)
    runner = CliRunner()
    runner.invoke(cli, ["--config", config, "operators", "add", "Anna", "--role", "operator"],
                  input=f"{PASSWORD}\n{PASSWORD}\n")
    disabled = runner.invoke(cli, ["--config", config, "operators", "disable", "Anna"])
    assert (disabled.exit_code, disabled.output) == (0, "account 'Anna' disattivato\n")
    missing = runner.invoke(cli, ["--config", config, "operators", "disable", "Nessuno"])
    assert missing.exit_code == 1 and "nessun account" in missing.output
    listed = runner.invoke(cli, ["--config", config, "operators", "list"])
    assert listed.output == f"{'Anna':30}  operatore     disattivato  -                 ultimo accesso mai\n"
    engine = make_engine(sqlite_url)
    with make_session_factory(engine)() as session:
        actions = [entry.action for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    engine.dispose()
    assert actions == ["account_add", "account_disable"]


def test_operators_unlock_lifts_the_delays_with_an_audit_line(tmp_path: Path, database_url: str) -> None:
    config = _config(tmp_path, database_url)
    runner = CliRunner()
    runner.invoke(cli, ["--config", config, "operators", "add", "Anna Verdi", "--role", "operator"],
                  input=f"{PASSWORD}\n{PASSWORD}\n")
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    for attempt in range(5):
        with sessions.begin() as session:
            sign_in(session, "Anna Verdi", f"sbagliata {attempt}", STRANGER, ThrottlePolicy(), utcnow())
    listed = runner.invoke(cli, ["--config", config, "operators", "list", "--json"])
    assert '"delayed": true' in listed.output
    unlocked = runner.invoke(cli, ["--config", config, "operators", "unlock", "Anna Verdi"])
    assert (unlocked.exit_code, unlocked.output) == (0, "account 'Anna Verdi' sbloccato\n")
    with sessions() as session:
        assert session.scalars(select(AuditEntry.action)).all()[-1] == "account_unlock"
        assert sign_in(session, "Anna Verdi", PASSWORD, STRANGER, ThrottlePolicy(), utcnow()).outcome == "ok"
    engine.dispose()
