"""Who is signed in, what their role allows, CSRF tokens, and the audit trail of each request."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import g, redirect, render_template, request, url_for
from flask import session as cookie  # the signed browser session (database sessions are `db`)
from sqlalchemy.orm import Session

from access import audit
from access.accounts import Role, account_by_id, has_role
from contact_center.runtime import current_runtime
from storage.models import ConsoleAccount
from voicemail.worklist import due_count as count_due

CSRF_FIELD = "csrf_token"
View = TypeVar("View", bound=Callable[..., Any])



@contextmanager
def transaction() -> Iterator[Session]:
    """A database session whose work is committed at the end of the block."""
    with current_runtime().sessions.begin() as db:
        yield db


@contextmanager
def reading() -> Iterator[Session]:
    """A database session for reading."""
    with current_runtime().sessions() as db:
        yield db


def csrf_token() -> str:
    """This browser session's CSRF token, made on first use."""
    token = cookie.get("csrf")
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        cookie["csrf"] = token
    return token


def csrf_is_valid() -> bool:
    """Whether the submitted form carries this session's CSRF token (constant-time comparison)."""
    expected = cookie.get("csrf")
    submitted = request.form.get(CSRF_FIELD, "")
    return isinstance(expected, str) and bool(submitted) and hmac.compare_digest(submitted, expected)


def load_signed_in_account() -> None:
    """Put the signed-in, active account in `g.account` (None when there is none or it was revoked)."""
    g.account = None
    account_id, epoch = cookie.get("account"), cookie.get("epoch")
    if not isinstance(account_id, int) or not isinstance(epoch, str):
        return
    with reading() as db:
        account = account_by_id(db, account_id)
    if account is None or not account.active or not hmac.compare_digest(account.session_epoch, epoch):
        cookie.pop("account", None)
        cookie.pop("epoch", None)
        return
    g.account = account


def start_session(account: ConsoleAccount) -> None:
    """A fresh session for `account` (a new CSRF token too: no fixation)."""
    cookie.clear()
    cookie.permanent = True
    cookie["account"] = account.id
    cookie["epoch"] = account.session_epoch
    csrf_token()


def actor() -> str:
    """Who acts, as the audit log names them."""
    account = getattr(g, "account", None)
    return account.name if account is not None else "anonimo"


def log_action(db: Session, action: str, target: str = "", detail: str = "") -> None:
    """Write one audit line for the signed-in account, in the caller's transaction."""
    audit.record(db, actor(), action, target, detail, address=request.remote_addr or "", at=current_runtime().clock())


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a console path of this site, never another site."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and parts.path.startswith("/console/") and "\\" not in target:
            return target
    return url_for("console.today")


def requires(role: Role) -> Callable[[View], View]:
    """Allow the view only to a signed-in account with `role` (supervisors may do what operators do)."""
    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            account = g.get("account")
            if account is None:
                return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
            if not has_role(account.role, role):
                return render_template("console/forbidden.html"), 403
            return view(*args, **kwargs)
        guarded.required_role = role  # type: ignore[attr-defined]
        return cast(View, guarded)
    return decorate


def refuse_bad_csrf() -> Any:
    """Refuse a form posted without this session's CSRF token."""
    if request.method == "POST" and not csrf_is_valid():
        return render_template("console/csrf.html"), 400
    return None


def due_count() -> int:
    """How many callbacks wait to be made now (shown in the navigation), counted once per request."""
    if "due_count" not in g:
        with reading() as db:
            g.due_count = count_due(db, current_runtime().clock())
    return int(g.due_count)
