"""The operators' console: accounts that sign in, and the audit log of what they did."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from hours.clock import utcnow
from storage.models.base import Base
from storage.models.callbacks import CallbackRequest


class ConsoleAccount(Base):
    """A person who signs in to the console: an operator or a supervisor."""

    __tablename__ = "console_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    session_epoch: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]


class AuditEntry(Base):
    """One action done in the console or its API: who, what, on what, when."""

    __tablename__ = "console_audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(120), index=True)
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(64), default="")


# The console counts the entries due now on every page with this index. It is on an expression
# (the due time through coalesce) so that only the console's count, written the same way, uses
# it: the claim and the list keep walking the work-order index, already in order.
DUE_TIME = func.coalesce(CallbackRequest.next_attempt_at, CallbackRequest.next_attempt_at)
DUE_INDEX = Index("ix_callback_requests_due", CallbackRequest.status, DUE_TIME)


class SignInFailure(Base):
    """One refused sign-in: the name as typed (folded) and the address it came from, for the growing delays."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (Index("ix_sign_in_failures_account_address_at", "account", "address", "at"),
                      Index("ix_sign_in_failures_address_at", "address", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    account: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(64))
