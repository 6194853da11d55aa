"""Process-wide database handles and the unit of work used by every service call.

    db = open_database()                 # engine + migrations + first admin, once per process
    with db.transaction() as session:    # one short transaction per user action
        schemas.list_schemas(session, actor)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.platform.settings import get_settings
from db.engine import make_engine, make_session_factory, transaction
from db.migrate import at_head, upgrade


@dataclass(frozen=True)
class Database:
    engine: Engine
    sessions: sessionmaker[Session]

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with transaction(self.sessions) as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str | None = None, *, migrate: bool = True) -> Database:
    """Connect to ``url`` (default: the configured one), bring the schema to head if asked."""
    url = url or get_settings().resolved_database_url
    engine = make_engine(url)
    if migrate and not at_head(engine):  # nearly always there: one query, on the connection
        upgrade(url)                      # the first transaction then takes from the pool
    return Database(engine=engine, sessions=make_session_factory(engine))
