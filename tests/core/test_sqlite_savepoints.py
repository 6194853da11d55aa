"""A savepoint inside a transaction stays inside it on SQLite: when the transaction rolls back,
the savepoint's rows go too (Python's sqlite3 had let the savepoint's RELEASE commit them)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from db.engine import make_engine, make_session_factory, transaction


@pytest.fixture
def sessions(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'savepoints.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER PRIMARY KEY)"))
    yield make_session_factory(engine), engine
    engine.dispose()


def rows(engine) -> list[int]:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return [x for (x,) in connection.execute(text("SELECT x FROM t ORDER BY x"))]


def test_a_rolled_back_transaction_takes_its_savepoint_s_rows_with_it(sessions) -> None:
    factory, engine = sessions
    with pytest.raises(RuntimeError):
        with transaction(factory) as session:
            session.execute(text("SELECT 1"))  # a read first: no transaction had begun yet
            with session.begin_nested():
                session.execute(text("INSERT INTO t VALUES (1)"))
            session.execute(text("INSERT INTO t VALUES (2)"))
            raise RuntimeError("the action fails after its savepoint")
    assert rows(engine) == []


def test_a_savepoint_that_loses_a_race_rolls_back_alone(sessions) -> None:
    factory, engine = sessions
    with transaction(factory) as session:
        session.execute(text("INSERT INTO t VALUES (1)"))
    with transaction(factory) as session:
        with pytest.raises(IntegrityError), session.begin_nested():
            session.execute(text("INSERT INTO t VALUES (1)"))  # taken: this part alone fails
        session.execute(text("INSERT INTO t VALUES (2)"))
    assert rows(engine) == [1, 2]
