"""Rows written in bulk as plain values: ids that follow insertion order, and SQLite's driver fed
directly, with each value as the models' column types store it.

A crawl writes thousands of rows a second (results, URL outcomes, run events). Through
SQLAlchemy each row's values pass its type processors one by one, which costs more than SQLite's
insert of the row; the writers that own those tables (``core.scraping.runner``,
``core.timeline``) hand SQLite's ``executemany`` the stored form themselves. PostgreSQL keeps
SQLAlchemy (or COPY): its driver binds the same values in C.
"""

from __future__ import annotations

import itertools
import secrets
import time
import uuid
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.orm import Session


class OrderedIds:
    """UUIDs in UUIDv7 layout: the milliseconds at creation, then random bits, plus a counter.
    Unique, no system call each (``uuid4`` reads ``os.urandom`` every time, and lets go of the
    GIL to do it), and in insertion order: a primary-key index grows at its end instead of at
    random places."""

    def __init__(self) -> None:
        millis = time.time_ns() // 1_000_000
        random_bits = secrets.randbits(74)
        self._base = ((millis & (2**48 - 1)) << 80 | 0x7 << 76 | (random_bits >> 62) << 64
                      | 0b10 << 62 | (random_bits & (2**30 - 1)) << 32)
        self._counter = itertools.count()

    def next_hex(self) -> str:
        return f"{self._base + next(self._counter):032x}"

    def next_uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self._base + next(self._counter))


def sqlite_insert(table: str, columns: tuple[str, ...]) -> str:
    """``INSERT INTO table (columns) VALUES (?, …)`` for SQLite's driver."""
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def sqlite_time(moment: datetime) -> str:
    """A time as ``db.types.UTCDateTime`` stores it on SQLite: in UTC, "%Y-%m-%d %H:%M:%S.%f",
    its zone left out. A naive time is refused, as the column type refuses it."""
    if moment.tzinfo is not timezone.utc:  # utcnow()'s, the rule, costs no call (per row)
        if moment.tzinfo is None:
            raise ValueError("naive datetime given; use datetime.now(timezone.utc)")
        moment = moment.astimezone(timezone.utc)
    return moment.isoformat(" ", "microseconds")[:26]


def sqlite_driver(session: Session) -> Any | None:
    """The session's SQLite driver connection (in its transaction), or None on another
    database."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return None
    return connection.connection.driver_connection
