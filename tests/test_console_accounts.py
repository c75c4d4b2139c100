"""Console accounts: hashing, roles, lockout per account, and the `operators` commands."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from access.accounts import (
    AccountError,
    LockoutPolicy,
    Role,
    add_account,
    has_role,
    list_accounts,
    set_active,
    set_password,
    sign_in,
)
from contact_center.cli import cli
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import AuditEntry, ConsoleAccount
from tests.conftest import LINE_OPEN_AT

PASSWORD = "una password lunga"
POLICY = LockoutPolicy(attempts=3, duration=timedelta(minutes=10))


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


def test_a_correct_password_signs_in_and_a_wrong_one_does_not(sessions) -> None:
    _add(sessions)
    with sessions.begin() as session:
        assert sign_in(session, "Maria Rossi", PASSWORD, POLICY, LINE_OPEN_AT).outcome == "ok"
        assert sign_in(session, "Maria Rossi", "una password sbagliata", POLICY, LINE_OPEN_AT).outcome == "wrong"
        assert sign_in(session, "Nessuno", PASSWORD, POLICY, LINE_OPEN_AT).outcome == "wrong"
        assert sign_in(session, "  Maria   Rossi ", PASSWORD, POLICY, LINE_OPEN_AT).outcome == "ok"


def test_repeated_failures_lock_the_account_until_the_time_runs_out(sessions) -> None:
    _add(sessions)
    now = LINE_OPEN_AT
    for attempt in range(POLICY.attempts - 1):
        with sessions.begin() as session:
            assert sign_in(session, "Maria Rossi", f"sbagliata {attempt}", POLICY, now).outcome == "wrong"
    with sessions.begin() as session:
        locked = sign_in(session, "Maria Rossi", "ancora sbagliata", POLICY, now)
    assert locked.outcome == "locked" and locked.locked_until == now + POLICY.duration
    with sessions.begin() as session:
        assert sign_in(session, "Maria Rossi", PASSWORD, POLICY, now + timedelta(minutes=9)).outcome == "locked"
    with sessions.begin() as session:
        assert sign_in(session, "Maria Rossi", PASSWORD, POLICY, now + timedelta(minutes=11)).outcome == "ok"


def test_a_success_resets_the_count_of_failures(sessions) -> None:
    _add(sessions)
    now = LINE_OPEN_AT
    for _ in range(2):
        for _ in range(POLICY.attempts - 1):
            with sessions.begin() as session:
                sign_in(session, "Maria Rossi", "sbagliata", POLICY, now)
        with sessions.begin() as session:
            assert sign_in(session, "Maria Rossi", PASSWORD, POLICY, now).outcome == "ok"


def test_the_lock_is_per_account(sessions) -> None:
    _add(sessions, "Maria Rossi")
    _add(sessions, "Luca Bianchi")
    now = LINE_OPEN_AT
    for _ in range(POLICY.attempts):
        with sessions.begin() as session:
            sign_in(session, "Maria Rossi", "sbagliata", POLICY, now)
    with sessions.begin() as session:
        assert sign_in(session, "Maria Rossi", PASSWORD, POLICY, now).outcome == "locked"
        assert sign_in(session, "Luca Bianchi", PASSWORD, POLICY, now).outcome == "ok"


def test_a_disabled_account_cannot_sign_in_until_enabled(sessions) -> None:
    _add(sessions)
    with sessions.begin() as session:
        epoch = set_active(session, "Maria Rossi", False).session_epoch
        assert sign_in(session, "Maria Rossi", PASSWORD, POLICY, LINE_OPEN_AT).outcome == "disabled"
    with sessions.begin() as session:
        assert set_active(session, "Maria Rossi", True).session_epoch != epoch
        assert sign_in(session, "Maria Rossi", PASSWORD, POLICY, LINE_OPEN_AT).outcome == "ok"


def test_a_new_password_replaces_the_old_one(sessions) -> None:
    _add(sessions)
    with sessions.begin() as session:
        set_password(session, "Maria Rossi", "un'altra password lunga", min_password_length=12)
    with sessions.begin() as session:
        assert sign_in(session, "Maria Rossi", PASSWORD, POLICY, LINE_OPEN_AT).outcome == "wrong"
        assert sign_in(session, "Maria Rossi", "un'altra password lunga", POLICY, LINE_OPEN_AT).outcome == "ok"


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
