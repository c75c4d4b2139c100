"""Console accounts: argon2 password hashes, roles, sign-in with growing delays (access.throttle).

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

from access.throttle import ThrottlePolicy, forget, pending_delay, purge, release, reserve_attempt
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


SignInOutcome = Literal["ok", "wrong", "throttled", "disabled"]


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt; `account` only when it succeeded.

    Every outcome but "ok" must be answered the same way: it is told apart only in the audit log.
    """

    outcome: SignInOutcome
    account: ConsoleAccount | None = None


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
        forget(session, account.name)
    session.flush()
    return account


def set_password(session: Session, name: str, password: str, *, min_password_length: int) -> ConsoleAccount:
    """A new password; every session of the account ends and any lock is lifted."""
    account = _require(session, name)
    account.password_hash = _HASHER.hash(check_password(password, min_password_length))
    account.session_epoch = secrets.token_hex(16)
    account.failed_logins, account.locked_until = 0, None
    forget(session, account.name)
    session.flush()
    return account


def set_phone(session: Session, name: str, phone: str | None) -> ConsoleAccount:
    """Set (E.164) or clear the operator's own phone, the one "Chiama" rings first."""
    account = _require(session, name)
    account.phone = clean_phone(phone)
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


def sign_in(session: Session, name: str, password: str, address: str, policy: ThrottlePolicy,
            now: datetime) -> SignIn:
    """Check a name and password from `address`, with growing delays per (name, address) and per address.

    The attempt is stored before the failures are counted (access.throttle.reserve_attempt), so
    concurrent attempts are counted one by one. The same work is done whatever the outcome (one
    argon2 check, one write, one count), so neither the answer nor its timing tells an unknown
    name from a wrong password, a delayed or a disabled account.
    """
    account = find_account(session, name) if name.strip() else None
    matches = _password_matches(account, password)
    attempt, wait = reserve_attempt(session, name, address, policy, now)
    if wait > timedelta(0):
        release(session, attempt)
        return SignIn("throttled")
    if account is None or not matches or not account.active:
        purge(session, policy, now)
        session.flush()
        return SignIn("disabled" if account is not None and matches else "wrong")
    release(session, attempt)
    forget(session, name, address)
    account.failed_logins, account.locked_until, account.last_login_at = 0, None, now
    if _HASHER.check_needs_rehash(account.password_hash):
        account.password_hash = _HASHER.hash(password)
    session.flush()
    return SignIn("ok", account)


def lift_lock(session: Session, name: str) -> ConsoleAccount:
    """Lift whatever delays or older lock hold an account, from every address (a supervisor's action)."""
    account = _require(session, name)
    forget(session, account.name)
    account.failed_logins, account.locked_until = 0, None
    session.flush()
    return account


def is_locked(account: ConsoleAccount, now: datetime) -> bool:
    """Whether an older lock still holds the account (only a supervisor's unlock or its end lifts it)."""
    return account.locked_until is not None and account.locked_until > now


def is_delayed(session: Session, account: ConsoleAccount, policy: ThrottlePolicy, now: datetime) -> bool:
    """Whether the account has recent failures, or an older lock, that a supervisor may lift."""
    return (account.locked_until is not None and account.locked_until > now) or pending_delay(
        session, account.name, policy, now)
