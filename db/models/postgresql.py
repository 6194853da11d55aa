"""What the models say to PostgreSQL alone (a partial index's WHERE, a GIN index's operator
class), set on the metadata of a process that talks to PostgreSQL.

SQLAlchemy checks an index option that names a database (``postgresql_where=…``) by importing
that database's dialect: 4 % of a worker's start-up instructions (callgrind), which every
command and worker on SQLite paid for options it never reads. So a model keeps its PostgreSQL
options in the index's ``info`` (``postgresql_options(where=…)``), and ``for_database`` sets
them where they are read: when a PostgreSQL engine is made (db/engine.py), and by Alembic
(migrations/env.py and the test that models and migrations agree)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData

_OPTIONS = "postgresql_options"


def postgresql_options(**options: Any) -> dict[str, Any]:
    """An index's ``info`` holding its PostgreSQL options (``where``, ``using``, ``ops``: the
    ``postgresql_*`` keywords without their prefix)."""
    return {_OPTIONS: options}


def for_database(metadata: MetaData, name: str) -> MetaData:
    """``metadata``, its indexes given their PostgreSQL options when ``name`` (a dialect's
    name) is PostgreSQL. Setting them again changes nothing."""
    if name == "postgresql":
        for table in metadata.tables.values():
            for index in table.indexes:
                for option, value in index.info.get(_OPTIONS, {}).items():
                    index.dialect_options["postgresql"][option] = value
    return metadata
