"""CSV and Parquet written by Arrow (``core.scraping.export_tables``) are byte for byte (CSV) and
value for value with the same schema (Parquet) what the general writers make, on both databases;
data Arrow could read differently is left to the general writers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from core.scraping import export_tables, exports
from core.scraping.results import FieldFilter, ResultQuery
from tests.core.test_results import add_run

# Arrow writes these: text needing quotes, formulas, unicode, lists of text with quotes and
# backslashes, integers beside decimals, whole decimals, big and tiny numbers, booleans, nulls,
# missing keys, text that looks like a time, a nested object present in every row, a data key
# named like a metadata column.
FAST_ITEMS: list[dict[str, Any]] = [
    {"name": 'Chair, "oak"\nlarge', "price": 19.5, "rating": 4.0, "count": 3, "ok": True,
     "tags": ["new", 'say "hi"', "back\\slash", "tab\there"], "ids": [1, 2], "when":
     "2024-05-01T10:00:00Z", "specs": {"color": "red", "size": {"h": 30}}, "_source_url": "x"},
    {"name": "=HYPERLINK(1)", "price": 120, "rating": 3.5, "count": None, "ok": False,
     "tags": [], "ids": [], "when": "2024-05-02", "specs": {"color": "", "size": {"h": 2.5}},
     "note": "+1 -2 @3"},
    {"name": "Café ☕", "price": 1234567890.5, "rating": 0.00001, "ok": None, "tags": None,
     "when": "not a date", "specs": {"color": "b,l", "size": {"h": 0}}, "extra": None},
    {"price": 7.25, "rating": 2, "count": 7, "tags": ["x", None],
     "specs": {"color": "-", "size": {"h": 1}}, "ids": [3]},
]
# Each of these makes Arrow give the export back to the general writers.
GENERAL_ITEMS: dict[str, list[dict[str, Any]]] = {
    "empty object": [{"a": {}}, {"a": {"b": 1}}],
    "mixed kinds": [{"a": 1}, {"a": "one"}],
    "object missing in a row": [{"a": {"b": 1}}, {"c": 2}],
    "object gaining keys": [{"a": {"b": 1}}, {"a": {"b": 2, "c": 3}}],
    "null inside an object": [{"a": {"b": 1, "c": 2}}, {"a": {"b": None, "c": 3}}],
    "dotted key": [{"a.b": 1, "a": {"b": 2}}],
    "list of decimals": [{"a": [1, 2.5]}],
    "list of objects": [{"a": [{"b": 1}]}],
}
BIG_INTEGER = [{"a": 2**70}, {"a": 1}]  # CSV by Arrow (its text is read by json); Parquet: text
SAMPLES = {"fast": FAST_ITEMS, "big integer": BIG_INTEGER, **GENERAL_ITEMS}


def written(db, run_id, fmt: str, tmp_path: Path, raw: bool = False,  # type: ignore[no-untyped-def]
            ) -> tuple[Path, Path, int | None]:
    fast, general = tmp_path / f"fast.{fmt}", tmp_path / f"general.{fmt}"
    query = run_id if isinstance(run_id, ResultQuery) else exports._query(run_id, None)
    rows = exports._arrow_table(db, query, exports.ExportFormat(fmt), fast, raw)
    exports._general_table(db, query, exports.ExportFormat(fmt), general, raw)
    return fast, general, rows


@pytest.mark.parametrize("raw", [False, True])
def test_arrow_csv_is_the_general_csv_byte_for_byte(db, analyst, tmp_path, raw) -> None:
    _, run_id = add_run(db, analyst, FAST_ITEMS, confidences=[0.9, 1.0, 0.0001, 0.5714])
    fast, general, rows = written(db, run_id, "csv", tmp_path, raw)
    assert rows == len(FAST_ITEMS)  # Arrow wrote it
    assert fast.read_bytes() == general.read_bytes()
    text = fast.read_text(encoding="utf-8")
    assert ("'=HYPERLINK(1)" in text) != raw
    assert '"Chair, ""oak""\nlarge"' in text
    assert ",1234567890.5," in text and ",120," in text


def test_arrow_parquet_is_the_general_parquet(db, analyst, tmp_path) -> None:
    _, run_id = add_run(db, analyst, FAST_ITEMS)
    fast, general, rows = written(db, run_id, "parquet", tmp_path)
    assert rows == len(FAST_ITEMS)
    ours, theirs = pq.read_table(fast), pq.read_table(general)
    assert ours.schema == theirs.schema
    assert ours.to_pylist() == theirs.to_pylist()
    assert ours.column("tags").to_pylist()[0] == '["new", "say \\"hi\\"", "back\\\\slash", ' \
        '"tab\\there"]'


@pytest.mark.parametrize("case", sorted(GENERAL_ITEMS))
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_what_arrow_could_read_differently_goes_to_the_general_writers(
        db, analyst, tmp_path, case, fmt) -> None:
    _, run_id = add_run(db, analyst, GENERAL_ITEMS[case])
    fast, _, rows = written(db, run_id, fmt, tmp_path)
    assert rows is None
    assert not fast.exists()


def test_an_integer_beyond_64_bits_is_exact_in_csv_and_text_in_parquet(db, analyst,
                                                                     tmp_path) -> None:
    _, run_id = add_run(db, analyst, BIG_INTEGER)
    fast, general, rows = written(db, run_id, "csv", tmp_path)
    assert rows == 2 and fast.read_bytes() == general.read_bytes()
    assert f"\n{2**70}," in fast.read_text(encoding="utf-8")
    fast, general, rows = written(db, run_id, "parquet", tmp_path)
    assert rows is None
    assert pq.read_table(general).column("a").to_pylist() == [str(2**70), "1"]


@pytest.mark.parametrize("case", sorted(SAMPLES))
def test_an_export_is_the_general_writers_file_whichever_path_wrote_it(
        db, analyst, tmp_path, case) -> None:
    _, run_id = add_run(db, analyst, SAMPLES[case])
    target = tmp_path / "out.csv"
    query = exports._query(run_id, None)
    exports._write(db, query, exports.ExportFormat.CSV, target)
    general = tmp_path / "general.csv"
    exports._general_table(db, query, exports.ExportFormat.CSV, general)
    assert target.read_bytes() == general.read_bytes()


def test_batches_are_parquet_row_groups(db, analyst, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(exports, "BATCH_SIZE", 2)
    _, run_id = add_run(db, analyst, [{"n": n, "s": {"k": str(n)}} for n in range(5)])
    fast, general, rows = written(db, run_id, "parquet", tmp_path)
    assert rows == 5
    assert pq.ParquetFile(fast).metadata.num_row_groups == 3
    assert pq.read_table(fast).to_pylist() == pq.read_table(general).to_pylist()


def test_csv_batches_that_differ_make_the_general_csv(db, analyst, tmp_path, monkeypatch) -> None:
    # Each batch's cells are made as it is read: a key that is null or missing in a whole batch,
    # appears only in a later one, or is an integer in one batch and a decimal in the next.
    monkeypatch.setattr(exports, "BATCH_SIZE", 2)
    items = [{"n": 1, "note": None, "s": {"k": "a"}}, {"n": 2, "s": {"k": "b"}},
             {"n": 2.5, "note": "=x", "s": {"k": "c"}}, {"n": 3.0, "s": {"k": "d,e"}},
             {"n": 4, "brand": "Acme", "tags": ["x"], "s": {"k": "f"}}]
    _, run_id = add_run(db, analyst, items)
    fast, general, rows = written(db, run_id, "csv", tmp_path)
    assert rows == 5
    assert fast.read_bytes() == general.read_bytes()
    header = fast.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert sorted(header[:5]) == ["brand", "n", "note", "s.k", "tags"]  # jsonb orders keys


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_filtered_sorted_export_by_arrow_holds_what_the_query_matches(db, analyst, tmp_path,
                                                                        fmt) -> None:
    items = [{"name": f"Lamp {n}", "price": n * 1.5, "brand": "Acme" if n % 3 else "Hooli"}
             for n in range(30)]
    _, run_id = add_run(db, analyst, items)
    query = ResultQuery(run_id=run_id, filters=(FieldFilter("brand", "acme"),), sort="price",
                        descending=True)
    fast, general, rows = written(db, query, fmt, tmp_path)
    assert rows == 20
    if fmt == "csv":
        assert fast.read_bytes() == general.read_bytes()
        lines = fast.read_text(encoding="utf-8").splitlines()
        assert lines[1].startswith("Lamp 29,") and ",43.5," in lines[1]  # jsonb orders keys
    else:
        table = pq.read_table(fast)
        assert table.to_pylist() == pq.read_table(general).to_pylist()
        assert table.column("price").to_pylist() == sorted(
            (n * 1.5 for n in range(30) if n % 3), reverse=True)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_text_that_looks_like_times_in_every_row_stays_text(db, analyst, tmp_path, fmt) -> None:
    # Arrow reads a column whose every value looks like a time as times; it reads it again as text
    items = [{"day": "2024-05-02", "at": "2024-05-01T10:00:00Z", "days": ["2024-05-03"],
              "specs": {"made": "2023-01-01 08:30:00"}} for _ in range(3)]
    _, run_id = add_run(db, analyst, items)
    fast, general, rows = written(db, run_id, fmt, tmp_path)
    assert rows == 3  # Arrow wrote it
    if fmt == "csv":
        assert fast.read_bytes() == general.read_bytes()
        line = fast.read_text(encoding="utf-8").splitlines()[1].split(",")
        assert sorted(line[:4]) == ['"[""2024-05-03""]"', "2023-01-01 08:30:00",
                                    "2024-05-01T10:00:00Z", "2024-05-02"]  # jsonb orders keys
    else:
        ours, theirs = pq.read_table(fast), pq.read_table(general)
        assert ours.schema == theirs.schema
        assert ours.to_pylist() == theirs.to_pylist()
        assert ours.column("day").to_pylist() == ["2024-05-02"] * 3


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_numbers_json_writes_apart_go_to_the_general_writers(tmp_path, literal, fmt) -> None:
    # PostgreSQL refuses them in jsonb; SQLite keeps what json.dumps wrote
    rows = [(f'{{"a": 1.5, "b": "NaN Infinity"}}', "u", 1.0, "2025-01-01 00:00:00.000000"),
            (f'{{"a": {literal}, "b": "x"}}', "u", 1.0, "2025-01-01 00:00:01.000000")]
    written_rows = export_tables.write_table(
        [rows], fmt, tmp_path / f"out.{fmt}", tmp_path / "spool", exports._meta_types(), {},
        exports.neutralise, False)
    assert written_rows is None
    assert export_tables.write_table(  # the text "NaN" is text
        [rows[:1]], fmt, tmp_path / f"out.{fmt}", tmp_path / "spool", exports._meta_types(), {},
        exports.neutralise, False) == 1


def test_whole_decimals_are_written_as_json_reads_them(db, analyst, tmp_path) -> None:
    # Arrow reads 3 and 3.0 alike: each row's own number is written (from its text, or read by
    # json when its key is written more than once in the row or is not a plain name)
    items = [{"h": 2.0, "w": 3, "size": {"h": 4, "d": 1.5}, "poids (kg)": 7.0, "x": 0.5},
             {"h": 2.5, "w": 3.5, "size": {"h": 4.0, "d": 2}, "poids (kg)": 7, "x": -0.0},
             {"h": 1e16, "w": 12345678901.0, "size": {"h": 0.5, "d": 1e-7}, "poids (kg)": 0.5,
              "x": 2.0}]
    _, run_id = add_run(db, analyst, items)
    fast, general, rows = written(db, run_id, "csv", tmp_path)
    assert rows == 3  # Arrow wrote it
    assert fast.read_bytes() == general.read_bytes()
    lines = fast.read_text(encoding="utf-8").splitlines()
    assert {"2.0", "3", "4", "7.0"} <= set(lines[1].split(","))
    assert {"4.0", "2", "7"} <= set(lines[2].split(","))  # (-0.0: PostgreSQL writes 0.0)
    assert {"12345678901.0", "1e-07"} <= set(lines[3].split(","))  # (1e16: jsonb writes digits)


@pytest.mark.parametrize("count", [1, 2, 3, 4])
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_every_row_is_written_whatever_the_batches(db, analyst, tmp_path, monkeypatch, count,
                                                   fmt) -> None:
    # Batches of 2: the first comes through SQLAlchemy, the rest from the driver's cursor
    monkeypatch.setattr(exports, "BATCH_SIZE", 2)
    _, run_id = add_run(db, analyst, [{"n": n, "name": f"Lamp {n}"} for n in range(count)])
    fast, general, rows = written(db, run_id, fmt, tmp_path)
    assert rows == count
    if fmt == "csv":
        assert fast.read_bytes() == general.read_bytes()
    else:
        assert pq.read_table(fast).to_pylist() == pq.read_table(general).to_pylist()
        assert pq.read_table(fast).column("n").to_pylist() == list(range(count))


def test_the_read_ahead_hands_over_every_item_then_the_error_where_it_came() -> None:
    from core.scraping.exports import _read_ahead

    def items():  # type: ignore[no-untyped-def]
        yield from range(3)
        raise RuntimeError("the database went away")

    seen = []
    with pytest.raises(RuntimeError, match="went away"), _read_ahead(items()) as ahead:
        for item in ahead:
            seen.append(item)
    assert seen == [0, 1, 2]


def test_the_read_ahead_stops_its_thread_when_the_caller_leaves_early() -> None:
    import threading

    from core.scraping.exports import _read_ahead

    closed = []

    def items():  # type: ignore[no-untyped-def]
        try:
            yield from range(1_000_000)
        finally:
            closed.append(True)

    with _read_ahead(items()) as ahead:
        assert next(ahead) == 0
    assert closed == [True]
    assert "export-read-ahead" not in [t.name for t in threading.enumerate()]
