"""Race-free "insert unless it exists" for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Select, Table, TextClause, bindparam, select, text
from sqlalchemy.orm import Session

from storage.models.base import Base

ModelT = TypeVar("ModelT", bound=Base)


def _read(model: type[ModelT], key: str, value: Any) -> Select[tuple[ModelT]]:
    return select(model).where(getattr(model, key) == value).execution_options(populate_existing=True)


def string_literals(values: Iterable[str]) -> str:
    """Fixed strings as a SQL list for statements written as text (`'a', 'b'`), in sorted order.

    For the code's own constants only (statuses); a value holding a quote is refused, never escaped.
    """
    chosen = sorted(values)
    if any("'" in value for value in chosen):
        raise ValueError("a SQL string literal here may not contain a quote")
    return ", ".join(f"'{value}'" for value in chosen)


def insert_text(table: Table, columns: tuple[str, ...], tail: str, head: str = "") -> TextClause:
    """`{head}INSERT INTO table (columns) VALUES (:columns) {tail}` as SQL text, its parameters typed as the columns.

    A text clause is compiled once, and SQLite and PostgreSQL both run an INSERT ... ON CONFLICT
    written this way; its parameters keep their column types (UTC datetimes included).
    """
    names = ", ".join(table.c[column].name for column in columns)
    placeholders = ", ".join(f":{column}" for column in columns)
    statement = f"{head}INSERT INTO {table.name} ({names}) VALUES ({placeholders}) {tail}"
    return text(statement).bindparams(*(bindparam(column, type_=table.c[column].type) for column in columns))


@cache
def insert_unless_present_statement(table: Table, key: str, columns: tuple[str, ...]) -> TextClause:
    """`INSERT INTO table (columns) VALUES (...) ON CONFLICT (key) DO NOTHING`, as SQL text.

    It is text, not SQLAlchemy's dialect-specific `insert().on_conflict_do_nothing()`, because
    SQLAlchemy 2.0 does not cache those constructs: each execution compiled the statement again,
    which cost more CPU than the database round trip on the webhooks' hot path (0.35 ms a
    statement, measured).
    """
    return insert_text(table, columns, f"ON CONFLICT ({key}) DO NOTHING")


def with_defaults(table: Table, values: dict[str, Any]) -> dict[str, Any]:
    """`values` plus the Python-side defaults of the columns it leaves out (SQL text does not apply them)."""
    complete = dict(values)
    for column in table.columns:
        default = column.default
        if column.name in complete or default is None or not (default.is_scalar or default.is_callable):
            continue
        complete[column.name] = default.arg if default.is_scalar else default.arg(None)  # type: ignore[attr-defined]
    return complete


def _insert_unless_present(session: Session, model: type[ModelT], key: str, values: dict[str, Any]) -> bool:
    """Insert `values` unless a row has the same `key`; whether this call inserted it."""
    table = cast(Table, model.__table__)
    complete = with_defaults(table, values)
    result = session.execute(insert_unless_present_statement(table, key, tuple(complete)), complete)
    return cast(CursorResult[Any], result).rowcount == 1


def insert_or_get(session: Session, model: type[ModelT], key: str, values: dict[str, Any]) -> ModelT:
    """The row whose unique column `key` equals values[key], inserting `values` if there is none.

    Inserts first (two statements): for the first write of a row, such as a call's greeting.
    """
    return inserted_or_got(session, model, key, values)[0]


def inserted_or_got(session: Session, model: type[ModelT], key: str,
                    values: dict[str, Any]) -> tuple[ModelT, bool]:
    """insert_or_get, and whether the row was inserted now (True) or was already there."""
    inserted = _insert_unless_present(session, model, key, values)
    return session.scalars(_read(model, key, values[key])).one(), inserted
