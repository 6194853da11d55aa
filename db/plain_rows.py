"""Rows written in bulk as plain values: ids that follow insertion order, and SQLite's driver fed
directly, with each value as the models' column types store it.

A crawl writes thousands of rows a second (results, URL outcomes, run events). Through
SQLAlchemy each row's values pass its type processors one by one, which costs more than SQLite's
insert of the row; the writers that own those tables (``core.scraping.runner``,
``core.timeline``) hand SQLite's driver the stored form themselves (``SqliteRows``). PostgreSQL
keeps SQLAlchemy (or COPY): its driver binds the same values in C.
"""

from __future__ import annotations

import itertools
import secrets
import sqlite3
import time
import uuid
from datetime import datetime, timezone
from typing import Any

import orjson
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


class SqliteRows:
    """Rows of plain values into one SQLite table, many per statement: the rows travel as one
    JSON array, which ``json_each`` reads in C (``INSERT … SELECT … FROM json_each(?)``).

    Why not ``executemany``: it binds each row with the GIL held and lets go of it for each row's
    insert, so a flusher thread and the crawl's event loop handed the GIL back and forth twice a
    row (a crawl of 5,000 pages: ~120,000 hand-overs, and ~13 % of its speed). One statement lets
    go of it once per ``CHUNK`` rows. ``executemany`` stays for the rows JSON cannot carry
    as they are: text with a NUL (``json_each`` ends the text there), an integer past 64 bits
    or text orjson refuses (a lone surrogate, which the driver refuses too). Values are text,
    integers, finite floats, booleans or None (orjson would write an infinity as null)."""

    CHUNK = 2_000  # rows per statement: the GIL stays free for SQLite's whole insert of them
    MAX_TEXT = 64 * 2**20  # bytes per statement, far below SQLITE_MAX_LENGTH (1e9)

    def __init__(self, table: str, columns: tuple[str, ...], *, fixed: tuple[str, ...] = (),
                 on_conflict: str = "") -> None:
        """``columns`` come from each row, in order; ``fixed`` from the values given to
        ``insert`` once for all of them; ``on_conflict``: an SQL clause, as
        ``ON CONFLICT (a, b) DO NOTHING``."""
        names = ", ".join((*fixed, *columns))
        picked = ", ".join(["?"] * len(fixed) + [f"json_extract(value, '$[{i}]')"
                                                 for i in range(len(columns))])
        # WHERE true: SQLite's parser would read ON CONFLICT as a join's without it
        self.statement = (f"INSERT INTO {table} ({names}) SELECT {picked} FROM json_each(?) "
                          f"WHERE true {on_conflict}").rstrip()
        self.one_by_one = (f"INSERT INTO {table} ({names}) VALUES "
                           f"({', '.join('?' * (len(fixed) + len(columns)))}) {on_conflict}"
                           ).rstrip()

    def insert(self, driver: sqlite3.Connection, rows: list[tuple[Any, ...]],
               fixed: tuple[Any, ...] = ()) -> int:
        """Insert ``rows`` (their values as the columns store them); how many went in (rows an
        ``on_conflict`` skipped are not counted)."""
        done = 0
        for start in range(0, len(rows), self.CHUNK):
            done += self._insert_chunk(driver, rows[start:start + self.CHUNK], fixed)
        return done

    def _insert_chunk(self, driver: sqlite3.Connection, rows: list[tuple[Any, ...]],
                      fixed: tuple[Any, ...]) -> int:
        try:
            text: bytes | None = orjson.dumps(rows)
        except TypeError:  # an integer past 64 bits, a lone surrogate: the driver decides
            text = None
        if text is None or b"\\u0000" in text:  # a NUL (or text that looks like one)
            return int(driver.executemany(self.one_by_one, [(*fixed, *row) for row in rows]
                                          ).rowcount)
        if len(text) > self.MAX_TEXT and len(rows) > 1:
            half = len(rows) // 2
            return (self._insert_chunk(driver, rows[:half], fixed)
                    + self._insert_chunk(driver, rows[half:], fixed))
        return int(driver.execute(self.statement, (*fixed, text.decode("utf-8"))).rowcount)


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
