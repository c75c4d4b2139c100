"""Race-free "insert unless it exists" for SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models.base import Base

ModelT = TypeVar("ModelT", bound=Base)


def insert_or_get(session: Session, model: type[ModelT], key: str, values: dict[str, Any]) -> ModelT:
    """The row whose unique column `key` equals values[key], inserting `values` if there is none."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # A Core insert on the session's connection: the ORM's bulk-insert machinery is not needed
    # (the row is read back below) and costs about as much as the database round trip.
    statement = insert(model.__table__).on_conflict_do_nothing(index_elements=[key])
    session.connection().execute(statement, values)
    column = getattr(model, key)
    return session.scalars(
        select(model).where(column == values[key]).execution_options(populate_existing=True)
    ).one()
