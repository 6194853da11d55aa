"""Declarative base with a naming convention, UUID keys and UTC timestamps."""

import uuid
from collections.abc import Collection
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, MetaData, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from db.types import UTCDateTime, utcnow

# Deterministic constraint names, so migrations can alter them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UUIDPrimaryKey:
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


def one_of(column: str, vocabulary: type[StrEnum],
           only: Collection[StrEnum] | None = None) -> CheckConstraint:
    """``column IN (...)``: the column holds a member of ``vocabulary`` (``only`` narrows it to
    some members), in the enum's order, as constraint ``ck_<table>_<column>``. NULL passes, as
    SQL's IN leaves it unknown: nullable columns stay nullable."""
    values = ", ".join(f"'{member.value}'" for member in vocabulary
                       if only is None or member in only)
    return CheckConstraint(f"{column} IN ({values})", name=column)
