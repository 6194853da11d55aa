"""Indexes on the data fields a run has, so sorting a million results by a field (and filtering
one on an exact text) reads an index instead of every JSON document.

A data field's keys are the extractor's, not the schema's, so these indexes are not in the models:
``ensure_field_index`` builds one the first time a field is sorted or filtered on over a scope of
at least ``BUILD_AT`` results (below that a scan is quick), and ``db.migrate.include_object`` keeps
Alembic from reading them as drift. One index per field name serves every run and job (its first
column is ``run_id``; job-wide views filter on ``job_id`` and still read its order). Only results
that have the field (non-null) are in it.

The expressions are SQL text with the field name as a literal: an index is used only when the
query spells the same expression, and a bound parameter is not the same expression.

- SQLite: ``(run_id, group, json_extract(data, '$."f"'), created_at, id)``.
- PostgreSQL: ``(run_id, group, number, text, created_at, id)``: the number as ``numeric``, text
  and booleans as their first ``TEXT_PREFIX`` characters (a B-tree entry cannot exceed ~2.7 kB,
  and a long value would fail the worker's insert).

``group`` is the sort group of the value's JSON type (numbers 0, booleans 1, text 2, lists and
objects 3; null and missing NULL): results.py sorts one group after the other, each read in index
order.
"""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy import ColumnElement, exists, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from db.migrate import FIELD_INDEX_PREFIX
from db.models import Result, Run
from vocabularies import WorkStatus

log = logging.getLogger(__name__)

PREFIX = FIELD_INDEX_PREFIX  # db.migrate.include_object leaves indexes so named to the app
BUILD_AT = 20_000  # results in a scope from which a sort or filter by a field builds its index
TEXT_PREFIX = 500  # PostgreSQL: characters of text (and booleans) in the index
GROUPS = (0, 1, 2, 3)  # sort groups in order; NULL (null or missing) comes after them

_SQLITE_GROUPS = (("integer", 0), ("real", 0), ("true", 1), ("false", 1), ("text", 2),
                  ("array", 3), ("object", 3))
_POSTGRES_GROUPS = (("number", 0), ("boolean", 1), ("string", 2), ("array", 3), ("object", 3))


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class FieldSql:
    """SQL text of one data field's expressions. ``column`` is how the JSON column is named:
    ``results.data`` in queries, ``data`` in an index (SQLite refuses qualified names there)."""

    def __init__(self, dialect: str, key: str, column: str = "results.data") -> None:
        self.postgres = dialect == "postgresql"
        self.key = key
        self.column = column
        if self.postgres:
            self.json = f"{column} -> {_quoted(key)}"  # jsonb value
            self.text = f"{column} ->> {_quoted(key)}"
            self.type = f"jsonb_typeof({self.json})"
        else:
            path = _quoted(f'$."{key}"')
            self.json = f"json_extract({column}, {path})"  # SQL value (text, number, 1/0)
            self.type = f"json_type({column}, {path})"

    @property
    def group(self) -> str:
        pairs = _POSTGRES_GROUPS if self.postgres else _SQLITE_GROUPS
        return (f"CASE {self.type} "
                + " ".join(f"WHEN '{name}' THEN {n}" for name, n in pairs) + " END")

    @property
    def number(self) -> str:
        """PostgreSQL: the value as numeric when it is a number."""
        return f"CASE WHEN {self.type} = 'number' THEN ({self.text})::numeric END"

    @property
    def prefix(self) -> str:
        """PostgreSQL: the first TEXT_PREFIX characters of text; booleans as false/true."""
        return (f"CASE WHEN {self.type} IN ('string', 'boolean') "
                f"THEN left({self.text}, {TEXT_PREFIX}) END")

    def keys(self) -> list[str]:
        """The index's columns after run_id and the group: the order within a group."""
        if self.postgres:
            return [self.number, self.prefix]
        return [self.json]


def index_name(key: str) -> str:
    # Field names are any text: the name is a digest (63 characters at most on PostgreSQL).
    return PREFIX + hashlib.sha1(key.encode()).hexdigest()[:16]


def index_ddl(dialect: str, key: str) -> str:
    field = FieldSql(dialect, key, column="data")
    columns = ", ".join(["run_id", f"({field.group})", *(f"({k})" for k in field.keys()),
                         "created_at", "id"])
    return (f"CREATE INDEX IF NOT EXISTS {index_name(key)} ON results ({columns}) "
            f"WHERE ({field.group}) IS NOT NULL")


def has_index(session: Session, key: str) -> bool:
    if session.get_bind().dialect.name == "postgresql":
        sql = "SELECT 1 FROM pg_indexes WHERE tablename = 'results' AND indexname = :name"
    else:
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = :name"
    return session.execute(text(sql), {"name": index_name(key)}).first() is not None


def ensure_field_index(session: Session, key: str, scope_size: int) -> bool:
    """Whether ``key`` has its index, building it first when the scope holds BUILD_AT results
    or more. The build reads every result of the table once (seconds at a million). On SQLite it
    holds the one write lock meanwhile, so it waits while a run is queued or writing results (the
    run's next flush would time out); on PostgreSQL writers wait for the build, then go on. A build
    that fails (a lock, a second page building the same index) leaves the query to a scan."""
    if has_index(session, key):
        return True
    if scope_size < BUILD_AT:
        return False
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite" and session.scalar(select(exists().where(
            Run.status.in_(WorkStatus.ACTIVE)))):  # queued runs start any moment
        return False
    try:
        with session.begin_nested():  # a driver-level statement: field names may hold ':'
            session.connection().exec_driver_sql(index_ddl(dialect, key))
    except DBAPIError as exc:
        log.warning("index on data field %r not built: %s", key, exc)
        return False
    log.info("built index %s on data field %r", index_name(key), key)
    return True


def scope_reaches(session: Session, scope: ColumnElement[bool], count: int = BUILD_AT) -> int:
    """The scope's result count, counted up to ``count`` only (cheap on a million)."""
    limited = select(Result.id).where(scope).limit(count).subquery()
    return session.scalar(select(func.count()).select_from(limited)) or 0
