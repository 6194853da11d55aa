"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timezone
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy import JSON, DateTime, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class _JSONDocument(TypeDecorator[Any]):
    """JSON documents: JSONB on PostgreSQL (indexable, compact), JSON text elsewhere.

    ``JSON().with_variant(JSONB(), "postgresql")`` says the same, but naming JSONB imports
    SQLAlchemy's PostgreSQL dialect in every process, SQLite's included: here it is imported
    when a PostgreSQL connection first needs the type."""

    impl = JSON
    cache_ok = True
    hashable = False  # as JSON: a document is not a dictionary key for the ORM
    should_evaluate_none = True  # as JSON: Python's None is stored as JSON null, not SQL NULL

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


JSONDocument = _JSONDocument()


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps everywhere.

    PostgreSQL stores ``timestamptz``; SQLite has no time zones, so values are normalised to UTC
    on the way in and marked UTC on the way out. Naive datetimes are refused: they are bugs.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use datetime.now(timezone.utc)")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


E = TypeVar("E", bound=StrEnum)


class Vocabulary(TypeDecorator[E], Generic[E]):
    """A member of a closed vocabulary (``vocabularies.py``), stored as its string in a
    ``VARCHAR(length)``: the database holds the same text as ever, and rows read back as enum
    members. Writing a string outside the enum raises ``ValueError`` before any SQL runs."""

    impl = String
    cache_ok = True

    def __init__(self, vocabulary: type[E], length: int) -> None:
        super().__init__(length)
        self.vocabulary = vocabulary

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.vocabulary(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        return None if value is None else self.vocabulary(value)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
