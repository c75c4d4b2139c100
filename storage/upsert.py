"""Race-free "insert unless it exists" for SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models.base import Base

ModelT = TypeVar("ModelT", bound=Base)


def _read(model: type[ModelT], key: str, value: Any) -> Select[tuple[ModelT]]:
    return select(model).where(getattr(model, key) == value).execution_options(populate_existing=True)


def _insert_unless_present(session: Session, model: type[ModelT], key: str, values: dict[str, Any]) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # A Core insert on the session's connection: the ORM's bulk-insert machinery is not needed
    # (the row is read back) and costs about as much as the database round trip.
    statement = insert(model.__table__).on_conflict_do_nothing(index_elements=[key])
    session.connection().execute(statement, values)


def insert_or_get(session: Session, model: type[ModelT], key: str, values: dict[str, Any]) -> ModelT:
    """The row whose unique column `key` equals values[key], inserting `values` if there is none.

    Inserts first (two statements): for the first write of a row, such as a call's greeting.
    """
    _insert_unless_present(session, model, key, values)
    return session.scalars(_read(model, key, values[key])).one()


def get_or_insert(session: Session, model: type[ModelT], key: str, values: dict[str, Any]) -> ModelT:
    """Like insert_or_get, but reads first (one statement when the row exists, three when not).

    For the later writes of a row that is nearly always there already, such as the status
    callback of a call whose greeting was logged. Just as race-free: a row another transaction
    inserts meanwhile makes the insert do nothing, and it is read back.
    """
    found = session.scalars(_read(model, key, values[key])).one_or_none()
    if found is not None:
        return found
    return insert_or_get(session, model, key, values)
