"""Rows handed to SQLite's driver in bulk (db.plain_rows.SqliteRows): every value comes back as it
went in, conflicts are skipped and not counted, and a chunk of rows is one statement (the GIL is
let go once for all of them), but for rows JSON cannot carry, which go one by one."""

import sqlite3

import pytest

from db.plain_rows import SqliteRows

ODD_VALUES = [("é😀 \u2028", 1.0, None, True, 2**63 - 1, 'q"uo\\te', 0.1 + 0.2, "")]


@pytest.fixture()
def database() -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:", isolation_level=None)
    connection.execute("CREATE TABLE items (batch TEXT, id INTEGER, body TEXT, score REAL, "
                       "UNIQUE (batch, body))")
    return connection


def statements(connection: sqlite3.Connection) -> list[str]:
    seen: list[str] = []
    connection.set_trace_callback(seen.append)
    return seen


def test_values_come_back_as_they_went_in(database: sqlite3.Connection) -> None:
    database.execute("CREATE TABLE odd (a, b, c, d, e, f, g, h)")
    rows = SqliteRows("odd", ("a", "b", "c", "d", "e", "f", "g", "h"))

    assert rows.insert(database, ODD_VALUES) == 1

    assert database.execute("SELECT * FROM odd").fetchall() == [
        ("é😀 \u2028", 1.0, None, 1, 2**63 - 1, 'q"uo\\te', 0.1 + 0.2, "")]


def test_a_chunk_is_one_statement_and_repeats_are_skipped_uncounted(
        database: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SqliteRows, "CHUNK", 40)
    rows = SqliteRows("items", ("id", "body", "score"), fixed=("batch",),
                      on_conflict="ON CONFLICT (batch, body) DO NOTHING")
    seen = statements(database)

    stored = rows.insert(database, [(n, f"item {n % 50}", n / 3) for n in range(100)],
                         fixed=("first",))

    assert stored == 50  # items 50-99 repeat 0-49
    assert len([s for s in seen if s.startswith("INSERT")]) == 3  # 100 rows, 40 a statement
    assert database.execute("SELECT batch, id, body, score FROM items ORDER BY id LIMIT 2"
                            ).fetchall() == [("first", 0, "item 0", 0.0), ("first", 1, "item 1",
                                                                            1 / 3)]


def test_text_with_a_nul_goes_one_by_one_intact(database: sqlite3.Connection) -> None:
    rows = SqliteRows("items", ("id", "body"), fixed=("batch",))
    seen = statements(database)

    assert rows.insert(database, [(1, "before\x00after"), (2, "plain")], fixed=("b",)) == 2

    assert database.execute("SELECT body FROM items WHERE id = 1").fetchone() == (
        "before\x00after",)  # json_each would have cut it at the NUL
    assert len([s for s in seen if s.startswith("INSERT")]) == 2  # one per row: executemany


def test_what_orjson_refuses_is_left_to_the_driver_to_refuse(
        database: sqlite3.Connection) -> None:
    rows = SqliteRows("items", ("id", "body"), fixed=("batch",))

    with pytest.raises(OverflowError):  # SQLite has no integer past 64 bits
        rows.insert(database, [(2**70, "huge")], fixed=("b",))
    with pytest.raises(UnicodeEncodeError):  # nor text that is not Unicode
        rows.insert(database, [(1, "lone \ud800")], fixed=("b",))
    assert database.execute("SELECT count(*) FROM items").fetchone() == (0,)


def test_a_chunk_past_the_text_limit_is_split(database: sqlite3.Connection,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SqliteRows, "MAX_TEXT", 1000)
    rows = SqliteRows("items", ("id", "body"), fixed=("batch",))
    seen = statements(database)

    assert rows.insert(database, [(n, f"{n}" * 300) for n in range(8)], fixed=("b",)) == 8

    assert len([s for s in seen if s.startswith("INSERT")]) == 4  # ~2.5 KB: halved twice
    assert database.execute("SELECT count(*) FROM items").fetchone() == (8,)
