"""CSV and Parquet exports without a Python object per value: the rows come from the database
driver's cursor in batches of tuples (SQLite's JSON as UTF-8 bytes), each batch's JSON text is
parsed once by Arrow (``pyarrow.json``, in C++) and the columns are converted and written by
Arrow compute.

The files are byte for byte what the general writers in ``core.scraping.exports`` make. Where
Arrow's reading could differ from that — an empty object, a key with a dot, an object that is
missing or null in some rows or gains keys later, mixed types in one column, lists of decimals or
of objects, NaN or an infinity — ``write_table`` returns None before writing anything, and the
caller uses the general writers. Two readings are mended instead: text that looks like a time in
every row of a batch (Arrow reads it as times: the batch is read again with it as text), and, in
CSV, decimals that Arrow would write otherwise than Python (a whole number: ``3`` and ``3.0``
both read as 3.0; an exponent): the row's own number is written as json would read it.

One database read, in batches, each batch's JSON parsed once:

- CSV: a cell's text depends on its own value only, so each batch's cells are made as it is read
  (while the columns are learnt) and spooled as text columns; once every column is known, each
  batch's lines are joined in the columns' order and written from Arrow's buffers.
- Parquet needs one type per column before the first row group: each batch's columns are spooled
  with the types that batch has while the columns' types are learnt; then each batch is cast to
  the learnt types and written as one row group.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj
import pyarrow.parquet as pq

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # exports.FORMULA_START
NEEDS_QUOTES = ('"', ",", "\r", "\n")  # what makes the csv module (QUOTE_MINIMAL) quote a cell
FORMULA_BYTES = pa.array([c.encode("ascii") for c in FORMULA_START], pa.binary())
# The same as one regular expression each (RE2), every character written as \xNN
FETCHED_REGEX = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$"  # SQLite's text, PostgreSQL's to_char
QUOTES_REGEX = "[" + "".join(f"\\x{ord(c):02x}" for c in NEEDS_QUOTES) + "]"
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_]+")  # a key JSON writes as itself, and RE2 matches as is
_INTEGER = re.compile(r"-?[0-9]+")  # a JSON number json reads as an int


class GiveUp(Exception):
    """This export needs the general writers."""


@dataclass
class _Leaf:
    """One output column learnt from the data: its kind (null, bool, int, float, string, list)
    and where it is in the parsed table (top-level name, then struct children)."""

    path: tuple[str, ...]
    kind: str


@dataclass
class _Columns:
    leaves: dict[str, _Leaf] = field(default_factory=dict)  # output name → leaf, in order
    structs: dict[str, tuple[str, ...]] = field(default_factory=dict)  # top-level → children

    def learn(self, table: pa.Table, csv_numbers: bool) -> dict[str, _Leaf]:
        """Merge one parsed batch into what is known; return that batch's own leaves (their
        kinds as this batch has them: a CSV cell's text depends only on its own value)."""
        batch: dict[str, _Leaf] = {}
        for column_name, column in zip(table.column_names, table.columns):
            if "." in column_name:
                raise GiveUp
            self._learn(column_name, (column_name,), column.type, column, csv_numbers, batch)
        return batch

    def _learn(self, name: str, path: tuple[str, ...], kind: pa.DataType, column: Any,
               csv_numbers: bool, batch: dict[str, _Leaf]) -> None:
        if pa.types.is_struct(kind):
            if column.null_count or name in self.leaves:
                raise GiveUp  # a missing or null object flattens differently
            children = tuple(kind.field(i).name for i in range(kind.num_fields))
            known = self.structs.setdefault(name, children)
            if known != children or not children:
                raise GiveUp  # keys that appear later would come later in the general order
            for i, child in enumerate(children):
                if "." in child:
                    raise GiveUp
                values = pc.struct_field(column, child)
                if values.null_count:
                    raise GiveUp
                self._learn(f"{name}.{child}", (*path, child), kind.field(i).type, values,
                            csv_numbers, batch)
            return
        if name in self.structs:
            raise GiveUp  # an object here, another value there
        new = _kind(kind)
        if new == "float" and not pc.all(pc.is_finite(column)).as_py():
            raise GiveUp  # NaN or an infinity (Arrow reads them; csv and json write them apart)
        if new == "float" and not csv_numbers and pc.any(
                pc.greater_equal(pc.abs(column), 2.0**63)).as_py():
            raise GiveUp  # maybe an integer beyond 64 bits, which Parquet writes as text
        old = self.leaves.get(name)
        merged = new if old is None else _merge(old.kind, new, csv_numbers)
        self.leaves[name] = _Leaf(path, merged)
        batch[name] = _Leaf(path, new)


def _kind(kind: pa.DataType) -> str:
    if pa.types.is_null(kind):
        return "null"
    if pa.types.is_boolean(kind):
        return "bool"
    if pa.types.is_int64(kind):
        return "int"
    if pa.types.is_float64(kind):
        return "float"
    if pa.types.is_string(kind):  # (text that looked like times was read again as text)
        return "string"
    if pa.types.is_list(kind):
        item = _kind(kind.value_type)
        if item in ("string", "int", "bool", "null"):
            return f"list_{item}"
    raise GiveUp


def _merge(old: str, new: str, csv_numbers: bool) -> str:
    if old == new or new == "null" or new == "list_null" and old.startswith("list_"):
        return old
    if old == "null" or old == "list_null" and new.startswith("list_"):
        return new
    if {old, new} == {"int", "float"}:
        return "float"
    raise GiveUp  # mixed kinds: the general writers word them as text


# --- Writing -------------------------------------------------------------------------------------

_JSON_ESCAPES = [("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"),
                 ("\b", "\\b"), ("\f", "\\f")]


_JSON_ESCAPED = ("\\", '"', *map(chr, range(32)))  # what json.dumps writes otherwise


def _holds_any(texts: pa.Array, characters: Iterable[str]) -> bool:
    """Whether any of these ASCII characters is in the texts, by a scan of the string array's
    data (its null slots too: it may say yes for none, never no for one)."""
    if texts.type != pa.string():
        return True
    _, offsets, data = texts.buffers()
    if data is None or not len(texts):
        return False
    ends = memoryview(offsets).cast("i")  # int32 offsets, as in _write_texts
    raw = memoryview(data)[ends[texts.offset]:ends[texts.offset + len(texts)]].tobytes()
    return any(c.encode("ascii") in raw for c in characters)


def _json_texts(column: Any) -> pa.Array:
    """json.dumps(value, ensure_ascii=False) of each list (of text, integers, booleans or nulls),
    by Arrow: items written, joined with ", ", in brackets."""
    items = column.values
    kind = items.type
    if pa.types.is_string(kind):
        if _holds_any(items, _JSON_ESCAPED):
            if pc.any(pc.match_substring_regex(items, "[\x00-\x07\x0b\x0e-\x1f]")).as_py():
                raise GiveUp  # control characters json writes as \u00XX
            for old, new in _JSON_ESCAPES:
                items = pc.replace_substring(items, old, new)
        text = pc.binary_join_element_wise('"', items, '"', "")
    elif pa.types.is_boolean(kind):
        text = pc.if_else(items, "true", "false")
    elif pa.types.is_null(kind):
        text = pa.array(["null"] * len(items), pa.string())
    else:
        text = pc.cast(items, pa.string())
    text = pc.fill_null(text, "null")
    lists = pa.ListArray.from_arrays(column.offsets, text, mask=pc.is_null(column))
    joined = pc.binary_join(lists, ", ")
    return pc.binary_join_element_wise("[", joined, "]", "")


def _values(table: pa.Table, leaf: _Leaf) -> Any:
    column: Any = table.column(leaf.path[0]).combine_chunks()
    for child in leaf.path[1:]:
        column = pc.struct_field(column, child)
    return column


def _fetched_at(texts: Sequence[str]) -> pa.Array:
    return pc.cast(pc.cast(pa.array(texts, pa.string()), pa.timestamp("us")),
                   pa.timestamp("us", tz="UTC"))


def _iso(times: pa.Array, suffix: str) -> pa.Array:
    """datetime.isoformat() of UTC times: no fraction when it is zero, then ``suffix``."""
    text = pc.strftime(times, format="%Y-%m-%dT%H:%M:%S", locale="C")
    text = pc.replace_substring_regex(text, r"\.000000$", "")
    return pc.binary_join_element_wise(text, suffix, "")


def _iso_text(fetched: Sequence[str], suffix: str) -> pa.Array:
    """``_iso`` of the UTC times as the database gives them (see ``_fetched_at``), from their
    text when it has the form both databases give (``2025-01-31 12:34:56.789012``): a "T" for the
    space, no fraction when it is zero. Arrow's strftime would cost more than the rest of a CSV
    line."""
    text = pa.array(fetched, pa.string())
    if not pc.all(pc.match_substring_regex(text, FETCHED_REGEX)).as_py():
        return _iso(_fetched_at(fetched), suffix)
    text = pc.binary_replace_slice(text, 10, 11, "T")
    whole = pc.ends_with(text, ".000000")
    if pc.any(whole).as_py():
        text = pc.if_else(whole, pc.utf8_slice_codeunits(text, 0, 19), text)
    return pc.binary_join_element_wise(text, suffix, "")


def _decimal_text(values: pa.Array, leaf: _Leaf, rows: _Rows) -> pa.Array:
    """A decimal column's CSV text: Arrow's where it equals Python's; for a whole number (int 3
    and float 3.0 both read as 3.0) and for magnitudes Arrow writes with an exponent, the text
    json would give the row's own value (``_own_numbers``)."""
    magnitude = pc.abs(values)
    odd = pc.fill_null(pc.or_(pc.equal(pc.floor(values), values), pc.or_(
        pc.greater_equal(magnitude, 1e9), pc.less(magnitude, 1e-4))), False)
    text = pc.cast(values, pa.string())
    positions = pc.indices_nonzero(odd)
    if not len(positions):
        return text
    own = _own_numbers(pc.take(values, positions).to_pylist(), positions, leaf, rows)
    return pc.replace_with_mask(text, odd, pa.array(own, pa.string()))


def _own_numbers(values: list[float], positions: pa.Array, leaf: _Leaf, rows: _Rows) -> list[str]:
    """str() of the values json reads at ``leaf`` in the rows at ``positions`` (``values``: what
    Arrow read there): an integer's digits, a decimal's repr. Taken from the number as written
    in the row's JSON text when the leaf's key is written once in it and the number there is the
    value Arrow read; otherwise json reads the row."""
    key = leaf.path[-1]
    tokens: list[Any] = [None] * len(values)
    if _PLAIN_KEY.fullmatch(key):
        texts = pa.array([rows.texts[row] for row in positions.to_pylist()], pa.string())
        key_at = f'[{{,\\s]"{key}"\\s*:'
        once = pc.equal(pc.count_substring_regex(texts, key_at), 1)
        found = pc.struct_field(pc.extract_regex(texts, key_at + r"\s*(?P<n>-?[0-9][0-9.eE+-]*)"),
                                "n")
        tokens = pc.if_else(once, found, pa.scalar(None, pa.string())).to_pylist()
    own = []
    for row, value, token in zip(positions.to_pylist(), values, tokens):
        number: Any = None
        if token is not None:
            try:
                number = int(token) if _INTEGER.fullmatch(token) else float(token)
            except ValueError:
                number = None
            if number != value:
                number = None
        if number is None:
            number = rows.parsed(row)
            for key in leaf.path:
                number = number[key]
        own.append(str(number))
    return own


def _csv_text(values: Any, kind: str, raw: bool, decimal: Any = None) -> pa.Array:
    """A column as the csv module writes it: the cell text, empty for null, quoted if needed.
    Cells to change are looked for first, and the column rewritten only if there are any."""
    if kind == "null":
        return pa.array([""] * len(values), pa.string())
    if kind == "bool":
        text = pc.if_else(values, "true", "false")
    elif kind == "float":
        text = decimal()
    elif kind.startswith("list_"):
        text = _json_texts(values)
    else:
        text = pc.cast(values, pa.string())
    if kind == "string" and not raw:
        # the first byte: every formula start is ASCII, which UTF-8 writes as itself
        formula = pc.is_in(pc.binary_slice(text.cast(pa.binary()), 0, 1),
                           value_set=FORMULA_BYTES)
        if pc.any(formula).as_py():
            text = pc.if_else(formula, pc.binary_join_element_wise("'", text, ""), text)
    if text.null_count:
        text = pc.fill_null(text, "")
    if (kind == "string" or kind.startswith("list_")) and _holds_any(text, NEEDS_QUOTES):
        quote = pc.match_substring_regex(text, QUOTES_REGEX)
        if pc.any(quote).as_py():
            quoted = pc.binary_join_element_wise(
                '"', pc.replace_substring(text, '"', '""'), '"', "")
            text = pc.if_else(quote, quoted, text)
    return text


def _confidence_text(values: pa.Array) -> pa.Array:
    """Python's repr of the confidences (0.0 and 1.0 keep their ".0")."""
    text = pc.cast(values, pa.string())
    whole = pc.equal(pc.floor(values), values)
    if not pc.any(whole).as_py():
        return text
    if not pc.all(pc.less(pc.abs(values), 1e9)).as_py():  # one Arrow may write with an exponent
        whole = pc.and_(whole, pc.invert(pc.match_substring_regex(text, "[en]")))
    return pc.if_else(whole, pc.binary_join_element_wise(text, ".0", ""), text)


def _csv_header(names: Iterable[str]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(list(names))
    return out.getvalue()


# --- Entry point ---------------------------------------------------------------------------------

Row = tuple[str | bytes, str, float, str]


def write_table(batches: Iterable[Sequence[Row]], fmt: str, part: Path, spool: Path,
                meta: dict[str, pa.DataType], rename: dict[str, str],
                neutralise: Any, raw: bool) -> int | None:
    """Write ``batches`` of rows — (data as JSON text, or as its UTF-8 bytes; source URL;
    confidence; fetched at as UTC text) in fetch order — to ``part`` as CSV or Parquet; the row
    count, or None when the general writers must do it. ``meta``: the metadata columns and their
    Parquet types; ``rename``: data keys renamed because they are metadata names; ``neutralise``:
    the formula rule for the header. Each batch is a Parquet row group."""
    if fmt == "csv":
        return _csv_table(batches, part, spool, list(meta), rename, neutralise, raw)
    return _parquet_table(batches, part, spool, meta, rename)


@dataclass
class _Rows:
    """One batch: its columns, the table Arrow read from its JSON, and rows read by json when
    needed (``parsed``)."""

    texts: Sequence[str | bytes]
    urls: Sequence[str]
    confidences: Sequence[float]
    fetched: Sequence[str]
    table: pa.Table
    _parsed: dict[int, Any] = field(default_factory=dict)

    def parsed(self, row: int) -> Any:
        if row not in self._parsed:
            self._parsed[row] = json.loads(self.texts[row])
        return self._parsed[row]


def _parse(batch: Sequence[Row]) -> _Rows:
    """The batch as columns and the table Arrow reads from its JSON texts as one block of lines
    (GiveUp when it could read them differently from json)."""
    texts, urls, confidences, fetched = zip(*batch)
    if isinstance(texts[0], bytes):
        blob = b"\n".join(texts)
    else:
        blob = "\n".join(texts).encode("utf-8")
    # (an empty object is a struct without fields, NaN and infinities are not finite: _learn
    # gives those up)
    table = pj.read_json(io.BytesIO(blob))
    if _has_times(table.schema.types):
        # Arrow reads a column of date-like texts as times: read again with those as text
        table = pj.read_json(io.BytesIO(blob), parse_options=pj.ParseOptions(
            explicit_schema=pa.schema([pa.field(f.name, _times_as_text(f.type))
                                       for f in table.schema])))
    if table.num_rows != len(batch):
        raise GiveUp
    return _Rows(texts, urls, confidences, fetched, table)


def _has_times(types: Iterable[pa.DataType]) -> bool:
    return any(pa.types.is_timestamp(kind) or _has_times(_inner_types(kind)) for kind in types)


def _inner_types(kind: pa.DataType) -> list[pa.DataType]:
    if pa.types.is_struct(kind):
        return [kind.field(i).type for i in range(kind.num_fields)]
    if pa.types.is_list(kind):
        return [kind.value_type]
    return []


def _times_as_text(kind: pa.DataType) -> pa.DataType:
    if pa.types.is_timestamp(kind):
        return pa.string()
    if pa.types.is_struct(kind):
        return pa.struct([pa.field(kind.field(i).name, _times_as_text(kind.field(i).type))
                          for i in range(kind.num_fields)])
    if pa.types.is_list(kind):
        return pa.list_(_times_as_text(kind.value_type))
    return kind


def _spool_record(out: Any, record: pa.RecordBatch) -> None:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, record.schema) as writer:
        writer.write_batch(record)
    buffer = sink.getvalue()
    out.write(buffer.size.to_bytes(8, "little"))
    out.write(buffer)


def _spooled_record(spooled: Any) -> pa.RecordBatch:
    size = int.from_bytes(spooled.read(8), "little")
    return pa.ipc.open_stream(spooled.read(size)).read_next_batch()


# --- CSV: one read of the JSON ---------------------------------------------------------------------
# A CSV cell's text depends on its own value only, so each batch's cells are made as the batch is
# read, and spooled as text columns (Arrow IPC) under their column names. Once the columns are all
# known, each batch's lines are joined in their order (a column a batch lacks is empty there) and
# written from Arrow's buffer: no Python object per row or per cell.

def _csv_table(batches: Iterable[Sequence[Row]], part: Path, spool: Path, meta: list[str],
               rename: dict[str, str], neutralise: Any, raw: bool) -> int | None:
    columns, count, spooled = _Columns(), 0, 0
    try:
        with spool.open("wb") as out:
            for batch in batches:
                _spool_csv_batch(batch, columns, raw, out)
                count, spooled = count + len(batch), spooled + 1
        names = [rename.get(name, name) for name in columns.leaves] + meta
        if len(set(names)) != len(names):
            raise GiveUp
    except (GiveUp, pa.ArrowInvalid):
        return None
    empty = pa.scalar("", pa.string())
    with part.open("wb") as out, spool.open("rb") as cells_in:
        out.write(_csv_header(names if raw else [neutralise(name) for name in names])
                  .encode("utf-8"))
        for _ in range(spooled):
            cells = _spooled_record(cells_in)
            own = dict(zip(cells.schema.names[len(meta):], cells.columns[len(meta):]))
            line = pc.binary_join_element_wise(
                *(own.get(name, empty) for name in columns.leaves), *cells.columns[:len(meta)],
                ",")
            _write_texts(out, line)
    return count


def _spool_csv_batch(batch: Sequence[Row], columns: _Columns, raw: bool, out: Any) -> None:
    rows = _parse(batch)
    leaves = columns.learn(rows.table, csv_numbers=True)
    cells = [_csv_text(pa.array(rows.urls, pa.string()), "string", raw),
             _confidence_text(pa.array(rows.confidences, pa.float64())),
             _iso_text(rows.fetched, "+00:00\r\n")]
    names = ["", "", ""]
    for name, leaf in leaves.items():
        if leaf.kind == "null":
            continue  # empty cells, as for a column the batch lacks
        values = _values(rows.table, leaf)
        cells.append(_csv_text(values, leaf.kind, raw, lambda v=values, f=leaf: (
            _decimal_text(v, f, rows))))
        names.append(name)
    _spool_record(out, pa.RecordBatch.from_arrays(cells, names=names))


def _write_texts(out: Any, texts: pa.Array) -> None:
    """The texts one after another, straight from the array's data buffer."""
    if texts.null_count:
        raise ValueError("a CSV line is missing")  # every cell is filled: never expected
    _, offsets, data = texts.buffers()
    ends = memoryview(offsets).cast("i")  # int32 offsets of a string array, in the host's order
    out.write(memoryview(data)[ends[texts.offset]:ends[texts.offset + len(texts)]])


# --- Parquet: one read of the JSON too ------------------------------------------------------------
# Parquet needs one type per column before the first row group. Each batch's columns are spooled
# (Arrow IPC) with the types that batch has (lists already as JSON text) while the columns' types
# are learnt; then each spooled batch is cast to the learnt types (an integer column that is
# decimal elsewhere becomes float64, as the general writers make it) and written.

_PARQUET_TYPES = {"null": pa.string(), "bool": pa.bool_(), "int": pa.int64(),
                  "float": pa.float64(), "string": pa.string()}


def _parquet_table(batches: Iterable[Sequence[Row]], part: Path, spool: Path,
                   meta: dict[str, pa.DataType], rename: dict[str, str]) -> int | None:
    columns, count, spooled = _Columns(), 0, 0
    try:
        with spool.open("wb") as out:
            for batch in batches:
                _spool_parquet_batch(batch, columns, out)
                count, spooled = count + len(batch), spooled + 1
        names = [rename.get(name, name) for name in columns.leaves] + list(meta)
        if len(set(names)) != len(names):
            raise GiveUp
    except (GiveUp, pa.ArrowInvalid):
        return None
    schema = pa.schema([(name, _PARQUET_TYPES.get(leaf.kind, pa.string()))
                        for name, leaf in zip(names, columns.leaves.values())]
                       + list(meta.items()))
    with pq.ParquetWriter(part, schema) as writer, spool.open("rb") as spooled_in:
        for _ in range(spooled):
            record = _spooled_record(spooled_in)
            own = dict(zip(record.schema.names[len(meta):], record.columns[len(meta):]))
            arrays = []
            for name, target in zip(columns.leaves, schema):
                values = own.get(name)
                if values is None:
                    arrays.append(pa.nulls(record.num_rows, target.type))
                elif values.type != target.type:  # null → any; int → float64 (rounded as
                    arrays.append(pc.cast(values, target.type, safe=False))  # Python's float)
                else:
                    arrays.append(values)
            writer.write_batch(pa.RecordBatch.from_arrays(
                arrays + record.columns[:len(meta)], schema=schema))
    return count


def _spool_parquet_batch(batch: Sequence[Row], columns: _Columns, out: Any) -> None:
    rows = _parse(batch)
    leaves = columns.learn(rows.table, csv_numbers=False)
    arrays = [pa.array(rows.urls, pa.string()), pa.array(rows.confidences, pa.float64()),
              _fetched_at(rows.fetched)]
    names = ["", "", ""]
    for name, leaf in leaves.items():
        values = _values(rows.table, leaf)
        arrays.append(_json_texts(values) if leaf.kind.startswith("list_") else values)
        names.append(name)
    _spool_record(out, pa.RecordBatch.from_arrays(arrays, names=names))
