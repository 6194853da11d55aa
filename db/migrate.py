"""Run Alembic migrations from code (setup script, tests, ``python -m core db upgrade``).

Every process start (each CLI command, each worker) asks for the head revision. When the
database is already there — nearly always — Alembic is not even imported: the head is the
highest-numbered file in ``migrations/versions`` (revision ids are the files' four-digit numbers
and the chain is linear: ``tests/test_migrations.py`` proves both), and one query reads where the
database is."""

from __future__ import annotations

from pathlib import Path
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext
    from alembic.config import Config
    from sqlalchemy import Engine

PROJECT_ROOT = Path(__file__).resolve().parents[1]  # where alembic.ini and migrations/ are
VERSIONS = PROJECT_ROOT / "migrations" / "versions"
# Indexes on single data fields of results, built by the app (core/scraping/field_indexes.py):
# not in the models, so Alembic must not read them as drift to remove.
FIELD_INDEX_PREFIX = "ix_results_field_"


def include_object(dialect: str) -> Callable[..., bool]:
    """Alembic's filter on ``dialect`` (env.py, the models/migrations test): leave out the field
    indexes, and the models' indexes for another database (``info={"only_on": …}`` beside their
    ``ddl_if``, which Alembic does not read)."""
    def include(obj: object, name: str | None, type_: str, reflected: bool,
                compare_to: object) -> bool:
        if type_ != "index":
            return True
        if reflected:
            return not (name or "").startswith(FIELD_INDEX_PREFIX)
        return getattr(obj, "info", {}).get("only_on", dialect) == dialect
    return include


# How a migration writes ``db.types.JSONDocument``: as every migration has written these columns
# (what it stands for, in SQLAlchemy's own types), not as the private class that implements it.
JSON_DOCUMENT_IN_MIGRATIONS = (
    "sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')")


def render_item(type_: str, obj: object, context: AutogenContext) -> str | bool:
    """Alembic's hook for writing a migration (``alembic revision --autogenerate``): the models'
    JSON document type as ``JSON_DOCUMENT_IN_MIGRATIONS``; anything else as Alembic writes it."""
    from db.types import JSONDocument

    if type_ == "type" and isinstance(obj, type(JSONDocument)):
        context.imports.add("from sqlalchemy.dialects import postgresql")
        return JSON_DOCUMENT_IN_MIGRATIONS
    return False


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["database_url"] = url
    return config


def head_revision() -> str:
    """The newest migration's revision id: its file's number (``0019_….py`` → ``0019``)."""
    return max(p.name[:4] for p in VERSIONS.glob("[0-9][0-9][0-9][0-9]_*.py"))


def at_head(database: str | Engine) -> bool:
    """Whether the database (a URL, or an engine of the caller's, whose connection then serves
    its next query) is already at the head revision (one query)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    engine = create_engine(database) if isinstance(database, str) else database
    try:
        with engine.connect() as connection:
            found = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    except SQLAlchemyError:  # no database yet, or no alembic_version table
        return False
    finally:
        if engine is not database:
            engine.dispose()
    return [row[0] for row in found] == [head_revision()]


def upgrade(url: str, revision: str = "head") -> None:
    if revision == "head" and at_head(url):
        return
    from alembic import command

    command.upgrade(alembic_config(url), revision)
