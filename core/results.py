"""Browsing the results of a run (or of every run of a job): one page of a filtered, sorted table,
a row's detail, and the per-field fill rates and items per page charts.

Everything is done in SQL so a run with a million results stays fast: filters, search, sort,
offset/limit and the count. JSON element access goes through ``_JsonField``, which means the same
on SQLite (``json_extract``/``json_type``) and PostgreSQL (``->``, ``->>``, ``jsonb_typeof``).

Sorting by a data field: numbers first (numerically), then booleans, text, lists and objects,
each group in the chosen direction; missing and null values come last whatever the direction.
A number stored as a string ("19.99") sorts as text: the extractor schema decides types. Text
order is the database's collation (byte order on SQLite and on a C-collated PostgreSQL).

Search looks, case-insensitively, for the text in the item's JSON text (so in keys too) and in
its source URL; field filters compare a field's text the same way. SQLite's LIKE ignores the case
of ASCII letters only.

Metadata columns of the table are named ``_id``, ``_source_url``, ``_confidence`` and
``_fetched_at``; a data key with one of those names gets the column name ``<key> (data)``.
"""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Select, Text, case, cast, func, literal, or_, select
from sqlalchemy.orm import Session

from core.access import Actor, require_read
from core.errors import NotFound, ValidationError
from db.models import Result, Run, ScrapingJob

ID, SOURCE_URL, CONFIDENCE, FETCHED_AT = "_id", "_source_url", "_confidence", "_fetched_at"
META_COLUMNS = (ID, SOURCE_URL, CONFIDENCE, FETCHED_AT)
MAX_PAGE_SIZE = 500
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


# Sort groups by JSON type (json_type on SQLite, jsonb_typeof on PostgreSQL); null and missing
# values are in no group, so they come last.
_SORT_GROUPS = {
    "sqlite": {"integer": 0, "real": 0, "true": 1, "false": 1, "text": 2, "array": 3, "object": 3},
    "postgresql": {"number": 0, "boolean": 1, "string": 2, "array": 3, "object": 3},
}


class _JsonField:
    """Expressions on one top-level key of ``Result.data`` that behave alike on both databases."""

    def __init__(self, session: Session, key: str) -> None:
        if not key or '"' in key:
            raise ValidationError(f"'{key}' cannot be used as a field here: field names must be "
                                  "non-empty and contain no double quote.")
        self.key = key
        self.postgres = session.get_bind().dialect.name == "postgresql"

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

    def order(self, descending: bool) -> list[ColumnElement[Any]]:
        """Numbers, then booleans (false < true), text, lists and objects; each group in the
        chosen direction (numbers numerically); null and missing values last. Within a group
        both databases compare the native value: jsonb on PostgreSQL, json_extract's SQL value
        on SQLite. Two JSON lookups per row: on SQLite each one parses the document."""
        dialect = "postgresql" if self.postgres else "sqlite"
        group = case(_SORT_GROUPS[dialect], value=self._type(), else_=None)
        value = (Result.data[self.key] if self.postgres
                 else func.json_extract(Result.data, f'$."{self.key}"'))
        return [group.asc().nulls_last(), value.desc() if descending else value.asc()]


def _contains(session: Session, column: ColumnElement[str], text: str) -> ColumnElement[bool]:
    """Case-insensitive substring test. SQLite's LIKE already ignores ASCII case, and is several
    times faster than lower(column) LIKE lower(text) over a million JSON documents."""
    if session.get_bind().dialect.name == "postgresql":
        return column.icontains(text, autoescape=True)
    return column.contains(text, autoescape=True)


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


def _check(q: ResultQuery) -> None:
    problems = []
    if not 1 <= q.page_size <= MAX_PAGE_SIZE:
        problems.append(f"Page size must be between 1 and {MAX_PAGE_SIZE}; got {q.page_size}.")
    if q.page < 1:
        problems.append(f"Page numbers start at 1; got {q.page}.")
    if not 0.0 <= q.min_confidence <= 1.0:
        problems.append(f"Confidence threshold must be between 0 and 1; got {q.min_confidence}.")
    if problems:
        raise ValidationError("The results query is not valid:", problems)


def _search_forms(term: str) -> set[str]:
    """The term as it appears inside JSON text: quotes and backslashes escaped; non-ASCII as is
    (PostgreSQL's jsonb text) or as \\u escapes (JSON written by Python's json.dumps)."""
    return {json.dumps(term, ensure_ascii=ascii_only)[1:-1] for ascii_only in (False, True)}


def _conditions(session: Session, q: ResultQuery) -> list[ColumnElement[bool]]:
    conditions = []
    term = q.search.strip()
    if term:
        conditions.append(or_(*(_contains(session, cast(Result.data, Text), form)
                                for form in _search_forms(term)),
                              _contains(session, Result.source_url, term)))
    for flt in q.filters:
        text = _JsonField(session, flt.field).text()
        conditions.append(text == flt.value if flt.exact else _contains(session, text, flt.value))
    if q.min_confidence > 0:
        conditions.append(Result.confidence_score >= q.min_confidence)
    return conditions


def _order(session: Session, q: ResultQuery) -> list[ColumnElement[Any]]:
    def directed(column: Any) -> ColumnElement[Any]:
        return column.desc() if q.descending else column.asc()

    # created_at then id make the order total, so pages never overlap or skip a row. (Said
    # twice, created_at would make SQLite sort instead of reading the index in order.)
    tiebreak = [directed(Result.created_at), directed(Result.id)]
    if q.sort == FETCHED_AT:
        return tiebreak
    primary = ([directed(_META_SORTS[q.sort])] if q.sort in _META_SORTS
               else _JsonField(session, q.sort).order(q.descending))
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
    return pd.DataFrame(records, columns=list(columns))


def query_results(session: Session, actor: Actor, q: ResultQuery) -> ResultsPage:
    """One page of results matching ``q``, with the total count."""
    _check(q)
    where = [_scope(session, actor, q), *_conditions(session, q)]
    total, ids = _count_and_ids(session, where, q)
    pages = max(1, math.ceil(total / q.page_size))
    if q.page > pages:  # e.g. a filter shrank the list under the page shown: show the last page
        return query_results(session, actor, replace(q, page=pages))
    return ResultsPage(frame=_frame(_rows_in_order(session, ids)), total=total, pages=pages,
                       page=q.page)


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


def _filled_keys(session: Session, run_id: uuid.UUID) -> Select[Any]:
    """(key, rows where it has a value) over the latest FILL_RATE_SAMPLE results of the run."""
    sample = (select(Result.data).where(Result.run_id == run_id)
              .order_by(Result.created_at.desc()).limit(FILL_RATE_SAMPLE).subquery())
    if session.get_bind().dialect.name == "postgresql":
        pairs = func.jsonb_each(sample.c.data).table_valued("key", "value").render_derived()
        filled = cast(pairs.c.value, Text).not_in(("null", '""', "[]", "{}"))
    else:
        pairs = func.json_each(sample.c.data).table_valued("key", "value", "type")
        filled = ~(pairs.c.type.in_(("null",))
                   | ((pairs.c.type == "text") & (pairs.c.value == ""))
                   | (pairs.c.type.in_(("array", "object")) & pairs.c.value.in_(("[]", "{}"))))
    return (select(pairs.c.key, func.sum(case((filled, 1), else_=0)))
            .select_from(sample).join(pairs, literal(True)).group_by(pairs.c.key))


def field_fill_rates(session: Session, actor: Actor, run_id: uuid.UUID | str) -> FillRates:
    """Per data field, the share of (the latest) results where it has a value; fullest first."""
    run = load_run(session, actor, run_id)
    total = session.scalar(select(func.count()).select_from(Result)
                           .where(Result.run_id == run.id)) or 0
    sampled = min(total, FILL_RATE_SAMPLE)
    rows = [(key, int(filled), filled / sampled)
            for key, filled in session.execute(_filled_keys(session, run.id))]
    frame = pd.DataFrame(rows, columns=["field", "filled", "share"])
    return FillRates(frame=frame.sort_values(["share", "field"], ascending=[False, True],
                                             ignore_index=True),
                     sampled=sampled, total=total)


def items_per_page(session: Session, actor: Actor, run_id: uuid.UUID | str) -> pd.DataFrame:
    """Results per source URL (the page they were extracted from), in URL order."""
    run = load_run(session, actor, run_id)
    query = (select(Result.source_url, func.count().label("items"))
             .where(Result.run_id == run.id).group_by(Result.source_url)
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


def _table(session: Session, query: Select[Any], columns: list[str]) -> pd.DataFrame:
    # Plain tuples: pandas inspects SQLAlchemy rows one by one, which costs seconds at 50,000.
    return pd.DataFrame([tuple(row) for row in session.execute(query)], columns=columns)
