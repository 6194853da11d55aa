"""Engines and sessions. SQLite runs in WAL mode with foreign keys on; PostgreSQL as is."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def _tune_sqlite(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    # WAL lets the UI read while a worker writes; busy_timeout waits out short write locks.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # A run's flush inserts thousands of results whose unique (job, hash) index entries land
    # all over the index: each commit rewrites most of its pages into the WAL, and at SQLite's
    # default (a checkpoint every 1,000 pages, ~4 MB) nearly every commit then also copied them
    # back. At 10,000 pages the WAL grows to ~40 MB between checkpoints and a flush of results
    # costs ~20 % less CPU (50,000 rows of bench/crawl.py's shape, 2,000 a commit).
    cursor.execute("PRAGMA wal_autocheckpoint=10000")
    cursor.close()


def _begin_before_savepoint(connection: Connection, _name: str) -> None:
    """Python's sqlite3 opens a transaction only before a write. A SAVEPOINT sent before any
    write therefore starts a transaction of its own, and its RELEASE commits it: the savepoint's
    rows stayed even when the transaction around it rolled back. A BEGIN first keeps it nested,
    just before the write that would have begun the transaction anyway."""
    if not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        connection.exec_driver_sql("BEGIN")


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _tune_sqlite)
        event.listen(engine, "savepoint", _begin_before_savepoint)
        return engine
    from db.models import Base
    from db.models.postgresql import for_database

    for_database(Base.metadata, parsed.get_backend_name())  # its PostgreSQL-only index options
    return create_engine(url, pool_pre_ping=True)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back everything on any error."""
    with factory() as session, session.begin():
        yield session
