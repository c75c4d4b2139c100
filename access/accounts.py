"""Console accounts: argon2 password hashes, roles, lockout after repeated failures.

Refusals are AccountError codes with their values; access.vocabulary says them in Italian.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Literal

import phonenumbers
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from access.vocabulary import describe
from storage.models import ConsoleAccount

MAX_NAME_LENGTH = 80
MAX_PASSWORD_LENGTH = 256
# argon2id with OWASP's recommended parameters (19 MiB, 2 passes, 1 lane): about 0.1 s per check.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
# Verified when the name is unknown, so that a wrong name costs as much time as a wrong password.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


class Role(StrEnum):
    """What an account may do: supervisors may do everything operators do, and more."""

    OPERATOR = "operator"
    SUPERVISOR = "supervisor"


class AccountProblem(StrEnum):
    """Why an account change was refused."""

    NAME_EMPTY = "name_empty"
    NAME_TOO_LONG = "name_too_long"  # limit
    NAME_NOT_PRINTABLE = "name_not_printable"
    UNKNOWN_ROLE = "unknown_role"  # role
    NOT_A_PHONE = "not_a_phone"  # phone
    INVALID_PHONE = "invalid_phone"  # phone
    PASSWORD_TOO_SHORT = "password_too_short"  # minimum
    PASSWORD_TOO_LONG = "password_too_long"  # limit
    PASSWORD_BLANK = "password_blank"
    NAME_TAKEN = "name_taken"  # name
    NO_SUCH_ID = "no_such_id"  # account_id
    NO_SUCH_NAME = "no_such_name"  # name


class AccountError(ValueError):
    """An account change that cannot be made: `problem` says why, `details` with which values.

    `str()` is the vocabulary's sentence (access.vocabulary.describe), in Italian.
    """

    def __init__(self, problem: AccountProblem, **details: object) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.details: Mapping[str, object] = MappingProxyType(details)

    def __str__(self) -> str:
        return describe(self)


@dataclass(frozen=True)
class LockoutPolicy:
    """How many wrong passwords in a row lock an account, and for how long."""

    attempts: int = 5
    duration: timedelta = timedelta(minutes=15)


SignInOutcome = Literal["ok", "wrong", "locked", "disabled"]


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt; `account` only when it succeeded."""

    outcome: SignInOutcome
    account: ConsoleAccount | None = None
    locked_until: datetime | None = None


def has_role(account_role: str, needed: Role) -> bool:
    """Whether an account with `account_role` may do what `needed` allows."""
    return needed is Role.OPERATOR or account_role == Role.SUPERVISOR.value


def clean_name(raw: str) -> str:
    """A sign-in name, spaces collapsed; AccountError if empty, too long or not printable."""
    name = " ".join(raw.split())
    if not name:
        raise AccountError(AccountProblem.NAME_EMPTY)
    if len(name) > MAX_NAME_LENGTH:
        raise AccountError(AccountProblem.NAME_TOO_LONG, limit=MAX_NAME_LENGTH)
    if not name.isprintable():
        raise AccountError(AccountProblem.NAME_NOT_PRINTABLE)
    return name


def parse_role(raw: str) -> Role:
    """A role from text; AccountError for anything but operator or supervisor."""
    try:
        return Role(raw.strip().lower())
    except ValueError:
        raise AccountError(AccountProblem.UNKNOWN_ROLE, role=raw) from None


def clean_phone(raw: str | None) -> str | None:
    """The operator's own phone in E.164, or None; AccountError for a number that is not valid."""
    if raw is None or not raw.strip():
        return None
    try:
        number = phonenumbers.parse(raw.strip(), "IT")
    except phonenumbers.NumberParseException:
        raise AccountError(AccountProblem.NOT_A_PHONE, phone=raw) from None
    if not phonenumbers.is_valid_number(number):
        raise AccountError(AccountProblem.INVALID_PHONE, phone=raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_password(password: str, min_length: int) -> str:
    """The password if it is long enough and not absurdly long; AccountError otherwise."""
    if len(password) < min_length:
        raise AccountError(AccountProblem.PASSWORD_TOO_SHORT, minimum=min_length)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(AccountProblem.PASSWORD_TOO_LONG, limit=MAX_PASSWORD_LENGTH)
    if not password.strip():
        raise AccountError(AccountProblem.PASSWORD_BLANK)
    return password


def find_account(session: Session, name: str) -> ConsoleAccount | None:
    """The account with this sign-in name."""
    return session.scalars(select(ConsoleAccount).where(ConsoleAccount.name == " ".join(name.split()))).first()


def add_account(session: Session, name: str, role: Role, password: str, *, min_password_length: int,
                phone: str | None = None, now: datetime) -> ConsoleAccount:
    """A new active account with the password hashed (argon2id); AccountError on bad input."""
    account = ConsoleAccount(name=clean_name(name), role=role.value,
                             password_hash=_HASHER.hash(check_password(password, min_password_length)),
                             phone=clean_phone(phone), active=True, failed_logins=0,
                             session_epoch=secrets.token_hex(16), created_at=now)
    try:
        with session.begin_nested():
            session.add(account)
    except IntegrityError:
        raise AccountError(AccountProblem.NAME_TAKEN, name=account.name) from None
    return account


def list_accounts(session: Session) -> list[ConsoleAccount]:
    """Every account, by name."""
    return list(session.scalars(select(ConsoleAccount).order_by(ConsoleAccount.name)))


def account_by_id(session: Session, account_id: int) -> ConsoleAccount | None:
    """The account with this id, or None."""
    return session.get(ConsoleAccount, account_id)


def account_name(session: Session, account_id: int) -> str:
    """The name of the account with this id; AccountError if there is none."""
    account = account_by_id(session, account_id)
    if account is None:
        raise AccountError(AccountProblem.NO_SUCH_ID, account_id=account_id)
    return account.name


def _require(session: Session, name: str) -> ConsoleAccount:
    account = find_account(session, name)
    if account is None:
        raise AccountError(AccountProblem.NO_SUCH_NAME, name=name)
    return account


def set_active(session: Session, name: str, active: bool) -> ConsoleAccount:
    """Disable (signing it out everywhere) or enable an account."""
    account = _require(session, name)
    account.active = active
    account.session_epoch = secrets.token_hex(16)
    if active:
        account.failed_logins, account.locked_until = 0, None
    session.flush()
    return account


def set_password(session: Session, name: str, password: str, *, min_password_length: int) -> ConsoleAccount:
    """A new password; every session of the account ends and any lock is lifted."""
    account = _require(session, name)
    account.password_hash = _HASHER.hash(check_password(password, min_password_length))
    account.session_epoch = secrets.token_hex(16)
    account.failed_logins, account.locked_until = 0, None
    session.flush()
    return account


def set_role(session: Session, name: str, role: Role) -> ConsoleAccount:
    """Change an account's role; its sessions end so the new role applies at once."""
    account = _require(session, name)
    account.role = role.value
    account.session_epoch = secrets.token_hex(16)
    session.flush()
    return account


def end_sessions(session: Session, account_id: int) -> None:
    """Sign the account out everywhere: every cookie issued so far stops working."""
    session.execute(update(ConsoleAccount).where(ConsoleAccount.id == account_id)
                    .values(session_epoch=secrets.token_hex(16)))


def _password_matches(account: ConsoleAccount | None, password: str) -> bool:
    try:
        return _HASHER.verify(account.password_hash if account else _DUMMY_HASH, password[:MAX_PASSWORD_LENGTH])
    except (VerificationError, InvalidHashError):
        return False


def sign_in(session: Session, name: str, password: str, policy: LockoutPolicy, now: datetime) -> SignIn:
    """Check a name and password, counting failures per account and locking it after too many."""
    account = find_account(session, name) if name.strip() else None
    matches = _password_matches(account, password)
    if account is None:
        return SignIn("wrong")
    if account.locked_until is not None and account.locked_until > now:
        return SignIn("locked", locked_until=account.locked_until)
    if not matches:
        return _count_failure(session, account, policy, now)
    if not account.active:
        return SignIn("disabled")
    account.failed_logins, account.locked_until, account.last_login_at = 0, None, now
    if _HASHER.check_needs_rehash(account.password_hash):
        account.password_hash = _HASHER.hash(password)
    session.flush()
    return SignIn("ok", account)


def _count_failure(session: Session, account: ConsoleAccount, policy: LockoutPolicy, now: datetime) -> SignIn:
    """One more failure, counted atomically; the one that reaches the limit locks the account."""
    failures = session.execute(
        update(ConsoleAccount).where(ConsoleAccount.id == account.id)
        .values(failed_logins=ConsoleAccount.failed_logins + 1)
        .returning(ConsoleAccount.failed_logins)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    if failures < policy.attempts:
        return SignIn("wrong")
    locked_until = now + policy.duration
    session.execute(update(ConsoleAccount).where(ConsoleAccount.id == account.id)
                    .values(failed_logins=0, locked_until=locked_until)
                    .execution_options(synchronize_session=False))
    return SignIn("locked", locked_until=locked_until)
