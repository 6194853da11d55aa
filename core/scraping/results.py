"""Browsing the results of a run (or of every run of a job): one page of a filtered, sorted table,
a row's detail, and the per-field fill rates and items per page charts.

Everything is done in SQL so a run with a million results stays fast: filters, search, sort,
offset/limit and the count. JSON element access goes through ``_JsonField``, which means the same
on SQLite (``json_extract``/``json_type``) and PostgreSQL (``->``, ``->>``, ``jsonb_typeof``).

Sorting by a data field: numbers first (numerically), then booleans, text, lists and objects,
each group in the chosen direction; missing and null values come last whatever the direction.
A number stored as a string ("19.99") sorts as text: the extractor schema decides types. Text
order is the database's collation (byte order on SQLite and on a C-collated PostgreSQL); on
PostgreSQL over the first 500 characters (texts equal that far go by fetch time), which is
what a field's index holds. A run of 20,000 results or more sorted (or exactly filtered) by a data
field gets an index on that field, and a sorted page is read one type group at a time in the
index's order: field_indexes.py. On SQLite a "contains" filter builds it too, and scans it (the
field's value is in it) instead of parsing every JSON document.

Search looks, case-insensitively, for the text in the item's JSON text (so in keys too) and in
its source URL; field filters compare a field's text the same way. SQLite's LIKE ignores the case
of ASCII letters only.

Metadata columns of the table are named ``_id``, ``_source_url``, ``_confidence`` and
``_fetched_at``; a data key with one of those names gets the column name ``<key> (data)``.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (ColumnElement, Select, Text, and_, case, cast, func, literal,
                        literal_column, or_, select)
from sqlalchemy.orm import QueryableAttribute, Session

from core.platform.access import Actor, require_read
from core.platform.errors import NotFound, ValidationError
from core.scraping import field_indexes
from core.scraping.field_indexes import GROUPS, FieldSql
from db.models import Result, Run, ScrapingJob

if TYPE_CHECKING:  # pandas is imported where a table is built: exports and workers that
    import pandas as pd  # import this module for its names never build one

ID, SOURCE_URL, CONFIDENCE, FETCHED_AT = "_id", "_source_url", "_confidence", "_fetched_at"
META_COLUMNS = (ID, SOURCE_URL, CONFIDENCE, FETCHED_AT)
MAX_PAGE_SIZE = 500
MAX_PAGE = 10**9  # page numbers above this are read as this (then as the last page)
# Fill rates look at the latest results only: aggregating every key of a million JSON documents
# took 14 s on SQLite and 16 s on PostgreSQL; the latest 10,000 take 0.1-0.3 s.
FILL_RATE_SAMPLE = 10_000
PICKER_LIMIT = 200

_META_SORTS = {FETCHED_AT: Result.created_at, CONFIDENCE: Result.confidence_score,
               SOURCE_URL: Result.source_url}


@dataclass(frozen=True)
class FieldFilter:
    """Keep results whose data field ``field`` contains ``value`` (case-insensitive), or equals
    it exactly when ``exact``. Values are compared as text (numbers as written, booleans as
    ``true``/``false``)."""

    field: str
    value: str
    exact: bool = False


@dataclass(frozen=True)
class ResultQuery:
    """One page of results of a run (``run_id``) or of every run of a job (``job_id``).

    ``sort`` is a metadata column (``_fetched_at``, ``_confidence``, ``_source_url``) or a data
    field name. ``page`` counts from 1; a page past the end shows the last page.
    """

    run_id: uuid.UUID | str | None = None
    job_id: uuid.UUID | str | None = None
    search: str = ""
    filters: tuple[FieldFilter, ...] = ()
    min_confidence: float = 0.0
    sort: str = FETCHED_AT
    descending: bool = True
    page: int = 1
    page_size: int = 50

    @property
    def narrowed(self) -> bool:
        """Whether search, field filters or the threshold leave out some of the scope's results."""
        return bool(self.search.strip() or self.filters or self.min_confidence > 0)


def query_document(q: ResultQuery) -> dict[str, Any]:
    """The query as JSON (what an export stores): scope, search, filters, threshold and sort;
    not the page, since an export holds every page."""
    doc = asdict(q)
    for key in ("page", "page_size"):
        del doc[key]
    for key in ("run_id", "job_id"):
        doc[key] = None if doc[key] is None else str(doc[key])
    doc["filters"] = [asdict(f) for f in q.filters]
    return doc


def query_from_document(doc: dict[str, Any]) -> ResultQuery:
    ids = {key: None if doc[key] is None else uuid.UUID(doc[key]) for key in ("run_id", "job_id")}
    return ResultQuery(**{**doc, **ids,
                          "filters": tuple(FieldFilter(**f) for f in doc["filters"])})


@dataclass(frozen=True)
class ResultsPage:
    frame: pd.DataFrame
    total: int  # results matching the query, all pages together
    pages: int
    page: int  # the page shown: the one asked for, or the last one when that was past the end


@dataclass(frozen=True)
class ResultDetail:
    id: uuid.UUID
    run_id: uuid.UUID
    data: dict[str, Any]
    source_url: str
    fetched_at: datetime
    confidence: float
    content_hash: str


@dataclass(frozen=True)
class FillRates:
    """Share of results in which each field has a value (not missing, null, "", [] or {})."""

    frame: pd.DataFrame  # columns: field, filled, share
    sampled: int  # results looked at: the latest FILL_RATE_SAMPLE at most
    total: int  # results in the run


class _JsonField:
    """Expressions on one top-level key of ``Result.data`` that behave alike on both databases.
    The sort and exact-filter expressions are field_indexes' SQL text (the key as a literal), so
    a field's index serves them."""

    def __init__(self, session: Session, key: str) -> None:
        if not key or '"' in key or "\x00" in key:
            raise ValidationError(f"{key!r} cannot be used as a field here: field names must be "
                                  "non-empty and contain no double quote or NUL character.")
        self.key = key
        self.postgres = session.get_bind().dialect.name == "postgresql"
        self.sql = FieldSql("postgresql" if self.postgres else "sqlite", key)
        self.group: ColumnElement[int] = literal_column(self.sql.group)

    def _type(self) -> ColumnElement[str]:
        """JSON type name, NULL when the key is missing."""
        if self.postgres:
            return func.jsonb_typeof(Result.data[self.key])
        return func.json_type(Result.data, f'$."{self.key}"')

    def text(self) -> ColumnElement[str]:
        """The value as text; SQLite would give 1/0 for booleans, so those are spelled out."""
        value = Result.data[self.key].as_string()
        if self.postgres:
            return value
        kind = self._type()
        return case((kind.in_(("true", "false")), kind), else_=value)

    def equals_text(self, value: str) -> ColumnElement[bool]:
        """``text() == value`` for a ``value`` that only a JSON string can spell (see
        ``_plain``), in the terms of the field's index: text group, then the value."""
        conditions = [self.group.is_not(None), self.group == 2]
        if self.postgres:  # (number IS NULL) lets the B-tree reach the text column after it
            conditions += [literal_column(self.sql.number).is_(None),
                           literal_column(self.sql.prefix) == value[:field_indexes.TEXT_PREFIX]]
            if len(value) >= field_indexes.TEXT_PREFIX:
                conditions.append(Result.data[self.key].as_string() == value)
        else:
            conditions.append(literal_column(self.sql.json) == value)
        return and_(*conditions)

    def indexed_contains(self, value: str) -> ColumnElement[bool]:
        """SQLite: ``text()`` contains ``value``, in the terms of the field's index (its group
        and ``json_extract``, booleans spelled out from them), so the planner scans that index
        alone instead of reading every JSON document. Null and missing values (no group, not in
        the index) contain nothing, as their ``text()`` is NULL."""
        json_value: ColumnElement[Any] = literal_column(self.sql.json)
        spelled = case((self.group == 1, case((json_value == 1, "true"), else_="false")),
                       else_=json_value)
        return and_(self.group.is_not(None),
                    spelled.contains(value, autoescape=_needs_escape(value)))

    def group_order(self, group: int | None, descending: bool) -> list[ColumnElement[Any]]:
        """The order within one sort group (``None``: null and missing values, which only the
        tiebreak orders). Numbers numerically, booleans false before true, text in the
        database's collation: PostgreSQL compares text on its first TEXT_PREFIX (500)
        characters, which is what its index holds; SQLite on the whole text. Lists and objects
        as the database orders JSON (PostgreSQL jsonb, SQLite their JSON text)."""
        if group is None:
            return []
        if not self.postgres:
            keys = [self.sql.json]
        elif group == 3:
            keys = [self.sql.json]
        else:
            keys = [self.sql.number, self.sql.prefix]
        columns: list[ColumnElement[Any]] = [literal_column(key) for key in keys]
        return [c.desc() if descending else c.asc() for c in columns]

    def order(self, descending: bool) -> list[ColumnElement[Any]]:
        """Numbers, then booleans (false < true), text, lists and objects; each group in the
        chosen direction (as ``group_order``); null and missing values last. One ORDER BY for
        every group (exports): within a group the other groups' keys are NULL, so constant."""
        keys = [self.sql.json] if not self.postgres else [
            self.sql.number, self.sql.prefix, f"CASE WHEN ({self.sql.group}) = 3 "
                                              f"THEN {self.sql.json} END"]
        columns: list[ColumnElement[Any]] = [literal_column(key) for key in keys]
        return [self.group.asc().nulls_last(),
                *(c.desc() if descending else c.asc() for c in columns)]


def _plain(value: str) -> bool:
    """Whether ``value`` could only be the text of a JSON string: not true/false, not a number
    as either database writes one (digits, a sign, a point, Inf), not a list or an object."""
    head = value.lstrip()[:4].lower()
    return not (value in ("true", "false") or head[:1] in ("[", "{")
                or re.match(r"[-+]?(\d|\.\d|inf|nan)", head))


def _contains(session: Session, column: ColumnElement[str] | QueryableAttribute[str],
              text: str) -> ColumnElement[bool]:
    """Case-insensitive substring test. SQLite's LIKE already ignores ASCII case, and is several
    times faster than lower(column) LIKE lower(text) over a million JSON documents."""
    if session.get_bind().dialect.name == "postgresql":
        return column.icontains(text, autoescape=True)
    return column.contains(text, autoescape=_needs_escape(text))


def _needs_escape(text: str) -> bool:
    """SQLite: whether a LIKE pattern made of ``text`` needs an ESCAPE clause (it has a wildcard
    or the escape character). Without one LIKE runs ~10% faster: a search reads every document."""
    return any(char in text for char in "%_/")


def _uuid(value: uuid.UUID | str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(f"{what} not found.") from None


def load_run(session: Session, actor: Actor, run_id: uuid.UUID | str) -> Run:
    """The run, if the actor may read it (its owner or an admin); NotFound otherwise."""
    run = session.get(Run, _uuid(run_id, "Run"))
    if run is None:
        raise NotFound("Run not found.")
    require_read(actor, run.user_id, False, "Run")
    return run


def _scope(session: Session, actor: Actor, q: ResultQuery) -> ColumnElement[bool]:
    if (q.run_id is None) == (q.job_id is None):
        raise ValidationError("Choose either a run or a job.")
    if q.run_id is not None:
        return Result.run_id == load_run(session, actor, q.run_id).id
    job = session.get(ScrapingJob, _uuid(q.job_id, "Job"))  # type: ignore[arg-type]
    if job is None:
        raise NotFound("Job not found.")
    require_read(actor, job.user_id, False, "Job")
    return Result.job_id == job.id


def _scope_of(q: ResultQuery) -> ColumnElement[bool]:
    """The scope's condition, rights unchecked (``readable_query`` checked them)."""
    if q.run_id is not None:
        return Result.run_id == _uuid(q.run_id, "Run")
    return Result.job_id == _uuid(str(q.job_id), "Job")


def readable_query(session: Session, actor: Actor, q: ResultQuery) -> ResultQuery:
    """``q`` checked (valid, its run or job exists and the actor may read it), with that run or
    job named by UUID: what an export request stores for its worker."""
    _check(q)
    _scope(session, actor, q)
    return replace(q, run_id=q.run_id and _uuid(q.run_id, "Run"),
                   job_id=q.job_id and _uuid(q.job_id, "Job"))


def selection(session: Session,
              q: ResultQuery) -> tuple[list[ColumnElement[bool]], list[ColumnElement[Any]]]:
    """The WHERE conditions and ORDER BY of a query that ``readable_query`` accepted: exports
    read every result the table would show, in the table's order."""
    return [_scope_of(q), *_conditions(session, q)], _order(session, q)


def _check(q: ResultQuery) -> None:
    problems = []
    if not 1 <= q.page_size <= MAX_PAGE_SIZE:
        problems.append(f"Page size must be between 1 and {MAX_PAGE_SIZE}; got {q.page_size}.")
    if q.page < 1:
        problems.append(f"Page numbers start at 1; got {q.page}.")
    if not 0.0 <= q.min_confidence <= 1.0:
        problems.append(f"Confidence threshold must be between 0 and 1; got {q.min_confidence}.")
    texts = [q.search, q.sort, *(t for f in q.filters for t in (f.field, f.value))]
    if any("\x00" in text for text in texts):
        problems.append("Search text, filters and field names cannot contain a NUL character.")
    if problems:
        raise ValidationError("The results query is not valid:", problems)


def _search_forms(term: str) -> set[str]:
    """The term as it appears inside JSON text: quotes and backslashes escaped; non-ASCII as is
    (PostgreSQL's jsonb text) or as \\u escapes (JSON written by Python's json.dumps)."""
    return {json.dumps(term, ensure_ascii=ascii_only)[1:-1] for ascii_only in (False, True)}


def _conditions(session: Session, q: ResultQuery,
                indexed: frozenset[str] = frozenset()) -> list[ColumnElement[bool]]:
    """``indexed``: fields with an index, whose exact filters are spelled in its terms."""
    conditions = []
    term = q.search.strip()
    if term:
        conditions.append(_any_match(session, [
            *((cast(Result.data, Text), form) for form in _search_forms(term)),
            (Result.source_url, term)]))
    for flt in q.filters:
        field = _JsonField(session, flt.field)
        if flt.exact and flt.field in indexed and _plain(flt.value):
            conditions.append(field.equals_text(flt.value))
        elif flt.exact:
            conditions.append(field.text() == flt.value)
        elif flt.field in indexed and not field.postgres:
            conditions.append(field.indexed_contains(flt.value))
        else:
            contains = _contains(session, field.text(), flt.value)
            first = _document_contains(session, flt.value)
            conditions.append(contains if first is None else and_(first, contains))
    if q.min_confidence > 0:
        conditions.append(Result.confidence_score >= q.min_confidence)
    return conditions


def _data_sort(q: ResultQuery) -> bool:
    return q.sort != FETCHED_AT and q.sort not in _META_SORTS


def _document_contains(session: Session, value: str) -> ColumnElement[bool] | None:
    """For a field filter "contains ``value``": a condition on the item's whole JSON text that
    every item whose field contains it meets, read first because it is cheaper (SQLite: no JSON
    parsing; PostgreSQL: the trigram index, from 3 characters). Only for words of letters: JSON
    writes each letter of a string as itself (or as its \\u escape, which _search_forms also
    gives), booleans as true/false, and a number's text holds no two letters in a row except
    SQLite's "Inf" for an overflowing one. None when it does not apply."""
    postgres = session.get_bind().dialect.name == "postgresql"
    if not value.isalpha() or len(value) < (3 if postgres else 2) or value.lower() in "inf":
        return None
    return _any_match(session, [(cast(Result.data, Text), form)
                                for form in _search_forms(value)])


def _any_match(session: Session,
               tests: list[tuple[ColumnElement[str] | QueryableAttribute[str], str]]
               ) -> ColumnElement[bool]:
    """Whether any (column, text) test holds: the column contains the text, case-insensitively
    (the JSON text or the source URL). On PostgreSQL the trigram indexes hold the rows that are
    not ``search_pending`` (migration 0026): each test is asked of those as its own arm, which
    its index answers, and all of them of the pending rows, which ix_results_search_pending
    finds. The pending rows' tests read ``column || ''`` (the same text): spelled alike, a test
    found in every arm would be factored out of the OR by the planner, and no index would then
    serve it."""
    if session.get_bind().dialect.name != "postgresql":
        return or_(*(_contains(session, column, text) for column, text in tests))
    pending = Result.search_pending  # spelled as the indexes' predicates, which it must imply
    return or_(*(and_(~pending, _contains(session, column, text)) for column, text in tests),
               and_(pending, or_(*(_contains(session, column.concat(""), text)
                                   for column, text in tests))))


def _indexed_fields(session: Session, scope: ColumnElement[bool],
                    q: ResultQuery) -> frozenset[str]:
    """The data fields this query sorts or exactly filters a run by (on SQLite, also those it
    filters by "contains": a scan of the field's index instead of the documents) that have an
    index, built here when the run is large enough (field_indexes.ensure_field_index). A
    job-wide view reads no field index (they start with the run)."""
    if q.run_id is None:
        return frozenset()
    sqlite = session.get_bind().dialect.name != "postgresql"
    wanted = [flt.field for flt in q.filters
              if (flt.exact and _plain(flt.value)) or (sqlite and not flt.exact)]
    if _data_sort(q):
        wanted.append(q.sort)
    indexed, size = set(), None
    for key in dict.fromkeys(wanted):
        _JsonField(session, key)  # refuses a name no field can have
        if size is None and not field_indexes.has_index(session, key):
            size = field_indexes.scope_reaches(session, scope)
        if field_indexes.ensure_field_index(session, key, size or 0):
            indexed.add(key)
    return frozenset(indexed)


def _order(session: Session, q: ResultQuery,
           sorted_whole: bool = False) -> list[ColumnElement[Any]]:
    """``sorted_whole``: the page is read together with the count of every match (a window
    function), so the matches are all read whatever their order. On PostgreSQL the first key
    is then spelled so that no index gives that order (the same values, ``+ 0``): version 15
    does not charge the count's wait for the last row to a plan walking an index in order, and
    would pick that walk to stop early at the page's end, reading the whole run through the
    index, row by row, in one process (1.3 s for a field filter on a million results) instead
    of a scan and a sort of the matches (0.35 s, parallel)."""
    postgres = sorted_whole and session.get_bind().dialect.name == "postgresql"

    def directed(column: Any, first: bool = False) -> ColumnElement[Any]:
        if first and postgres:
            column = column + (literal_column("interval '0'") if column is Result.created_at
                               else 0)
        return column.desc() if q.descending else column.asc()

    # created_at then id make the order total, so pages never overlap or skip a row. (Said
    # twice, created_at would make SQLite sort instead of reading the index in order.)
    if q.sort == FETCHED_AT:
        return [directed(Result.created_at, first=True), directed(Result.id)]
    tiebreak = [directed(Result.created_at), directed(Result.id)]
    if q.sort == CONFIDENCE:
        return [directed(Result.confidence_score, first=True), *tiebreak]
    primary = ([directed(_META_SORTS[q.sort])] if q.sort in _META_SORTS
               else _JsonField(session, q.sort).order(q.descending))  # no index gives these
    return [*primary, *tiebreak]


def column_name(key: str) -> str:
    """A data key's column name: its own, unless that is one of the metadata columns' names."""
    return f"{key} (data)" if key in META_COLUMNS else key


def _cell(value: Any) -> Any:
    """Nested values show as JSON text: one column per top-level key."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value


def _frame(rows: list[Any]) -> pd.DataFrame:
    """One row per result; data columns in order of first appearance on this page (PostgreSQL's
    jsonb keeps keys shortest first, so the order can differ from the extracted item's)."""
    records = [{ID: r.id, SOURCE_URL: r.source_url, CONFIDENCE: r.confidence_score,
                FETCHED_AT: r.created_at, **{column_name(k): _cell(v) for k, v in r.data.items()}}
               for r in rows]
    columns = list(dict.fromkeys(key for record in records for key in record)) or META_COLUMNS
    import pandas as pd

    return pd.DataFrame(records, columns=list(columns))


def query_results(session: Session, actor: Actor, q: ResultQuery) -> ResultsPage:
    """One page of results matching ``q``, with the total count."""
    _check(q)
    if q.page > MAX_PAGE:  # past any real end: the last page, without an offset SQL cannot hold
        q = replace(q, page=MAX_PAGE)
    scope = _scope(session, actor, q)
    indexed = _indexed_fields(session, scope, q)
    where = [scope, *_conditions(session, q, indexed)]
    if _data_sort(q) and q.sort in indexed:
        total = _count(session, where)
        ids = None
    else:
        total, ids = _count_and_ids(session, where, q)
    pages = max(1, math.ceil(total / q.page_size))
    if q.page > pages:  # e.g. a filter shrank the list under the page shown: show the last page
        return query_results(session, actor, replace(q, page=pages))
    if ids is None:
        ids = _ids_by_groups(session, where, _JsonField(session, q.sort), q)
    return ResultsPage(frame=_frame(_rows_in_order(session, ids)), total=total, pages=pages,
                       page=q.page)


def _ids_by_groups(session: Session, where: list[ColumnElement[bool]], field: _JsonField,
                   q: ResultQuery) -> list[uuid.UUID]:
    """The page's ids in a data field's sort order, read one sort group after the other
    (numbers, booleans, text, lists and objects, then null and missing), each in its index's
    order: the whole order at once mixes ascending groups with a chosen direction, which no
    index can give. A group is counted only when the page starts past its end."""
    offset, wanted, ids = (q.page - 1) * q.page_size, q.page_size, []
    tiebreak: list[ColumnElement[Any]] = (
        [Result.created_at.desc(), Result.id.desc()] if q.descending
        else [Result.created_at.asc(), Result.id.asc()])
    for group in (*GROUPS, None):
        in_group: ColumnElement[bool]
        if group is None:
            in_group = field.group.is_(None)
        else:
            in_group = and_(field.group.is_not(None), field.group == group)
        found = list(session.scalars(
            select(Result.id).where(*where, in_group)
            .order_by(*field.group_order(group, q.descending), *tiebreak)
            .offset(offset).limit(wanted)))
        ids += found
        wanted -= len(found)
        if not wanted:
            break
        offset = 0 if found else max(0, offset - _count(session, [*where, in_group]))
    return ids


def _count(session: Session, where: list[ColumnElement[bool]]) -> int:
    return session.scalar(select(func.count()).select_from(Result).where(*where)) or 0


def _count_and_ids(session: Session, where: list[ColumnElement[bool]],
                   q: ResultQuery) -> tuple[int, list[uuid.UUID]]:
    """The number of matching results and the ids on the page asked for, in order."""
    page = (select(Result.id).where(*where).order_by(*_order(session, q))
            .offset((q.page - 1) * q.page_size).limit(q.page_size))
    if not (q.search.strip() or q.filters):
        # The count and the walk to the page both run on indexes, without reading documents.
        return _count(session, where), list(session.scalars(page))
    # Search and field filters read every document of the run: do it once, with the count
    # riding along as a window function (a separate count doubles the time on a million).
    page = page.order_by(None).order_by(*_order(session, q, sorted_whole=True))
    rows = session.execute(page.add_columns(func.count().over())).all()
    return (rows[0][1] if rows else _count(session, where)), [row[0] for row in rows]


def _rows_in_order(session: Session, ids: list[uuid.UUID]) -> list[Any]:
    """The page's rows, read by id once their order is known: the ordered scan reads ids only
    (index-only on PostgreSQL), so skipping to page 20,000 does not read 999,950 JSON documents."""
    rows = {row.id: row for row in session.execute(
        select(Result.id, Result.data, Result.source_url, Result.confidence_score,
               Result.created_at).where(Result.id.in_(ids)))}
    return [rows[i] for i in ids if i in rows]  # a row deleted in between is simply gone


def result_detail(session: Session, actor: Actor, result_id: uuid.UUID | str) -> ResultDetail:
    row = session.get(Result, _uuid(result_id, "Result"))
    if row is None:
        raise NotFound("Result not found.")
    load_run(session, actor, row.run_id)
    return ResultDetail(id=row.id, run_id=row.run_id, data=row.data, source_url=row.source_url,
                        fetched_at=row.created_at, confidence=row.confidence_score,
                        content_hash=row.content_hash)


def _where(session: Session, actor: Actor,
           scope: ResultQuery | uuid.UUID | str) -> list[ColumnElement[bool]]:
    """A run id (every result of the run) or a query (its scope, search, filters, threshold)."""
    if not isinstance(scope, ResultQuery):
        return [Result.run_id == load_run(session, actor, scope).id]
    _check(scope)
    return [_scope(session, actor, scope), *_conditions(session, scope)]


def _filled_keys(session: Session, where: list[ColumnElement[bool]]) -> Select:
    """(key, rows where it has a value) over the latest FILL_RATE_SAMPLE matching results."""
    sample = (select(Result.data).where(*where)
              .order_by(Result.created_at.desc()).limit(FILL_RATE_SAMPLE).subquery())
    if session.get_bind().dialect.name == "postgresql":
        pairs = func.jsonb_each(sample.c.data).table_valued("key", "value").render_derived()
        filled: ColumnElement[bool] = cast(pairs.c.value, Text).not_in(
            ("null", '""', "[]", "{}"))
    else:
        pairs = func.json_each(sample.c.data).table_valued("key", "value", "type")
        filled = ~(pairs.c.type.in_(("null",))
                   | ((pairs.c.type == "text") & (pairs.c.value == ""))
                   | (pairs.c.type.in_(("array", "object")) & pairs.c.value.in_(("[]", "{}"))))
    return (select(pairs.c.key, func.sum(case((filled, 1), else_=0)))
            .select_from(sample).join(pairs, literal(True)).group_by(pairs.c.key))


def field_fill_rates(session: Session, actor: Actor,
                     scope: ResultQuery | uuid.UUID | str) -> FillRates:
    """Per data field, the share of (the latest) results where it has a value; fullest first.
    ``scope``: a run id, or a query (a job's runs, search and filters; its sort is ignored)."""
    where = _where(session, actor, scope)
    total = _count(session, where)
    sampled = min(total, FILL_RATE_SAMPLE)
    rows = [(key, int(filled), filled / sampled)
            for key, filled in session.execute(_filled_keys(session, where))]
    import pandas as pd

    frame = pd.DataFrame(rows, columns=["field", "filled", "share"])
    return FillRates(frame=frame.sort_values(["share", "field"], ascending=[False, True],
                                             ignore_index=True),
                     sampled=sampled, total=total)


def items_per_page(session: Session, actor: Actor,
                   scope: ResultQuery | uuid.UUID | str) -> pd.DataFrame:
    """Results per source URL (the page they were extracted from), in URL order; ``scope`` as
    for ``field_fill_rates``."""
    query = (select(Result.source_url, func.count().label("items"))
             .where(*_where(session, actor, scope)).group_by(Result.source_url)
             .order_by(Result.source_url))
    return _table(session, query, ["source_url", "items"])


PICKER_COLUMNS = ["id", "job_id", "job", "started", "status", "items"]


def runs_for_picker(session: Session, actor: Actor) -> pd.DataFrame:
    """The runs whose results the actor may browse (own runs; every run for admins), newest
    first, at most PICKER_LIMIT, with their job's name and number of stored results (the
    worker's ``items_extracted`` counter: counting rows would read every result of every run)."""
    started = func.coalesce(Run.started_at, Run.created_at)
    query = (select(Run.id, Run.job_id, ScrapingJob.name, started, Run.status,
                    Run.items_extracted)
             .join(ScrapingJob, ScrapingJob.id == Run.job_id)
             .order_by(Run.created_at.desc()).limit(PICKER_LIMIT))
    if not actor.is_admin:
        query = query.where(Run.user_id == actor.id)
    return _table(session, query, PICKER_COLUMNS)


def _table(session: Session, query: Select, columns: list[str]) -> pd.DataFrame:
    # Plain tuples: pandas inspects SQLAlchemy rows one by one, which costs seconds at 50,000.
    import pandas as pd

    return pd.DataFrame([tuple(row) for row in session.execute(query)], columns=columns)
