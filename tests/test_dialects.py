"""What the models say to each database: JSON documents are JSONB on PostgreSQL and JSON text
elsewhere, PostgreSQL's index options are set where PostgreSQL is used, and a process on SQLite
never loads PostgreSQL's code."""

import subprocess
import sys

import pytest

from db.migrate import PROJECT_ROOT
from db.models import Base
from db.models.postgresql import for_database


SQLITE_PROCESS = """
import sys
from sqlalchemy import insert, select
import core.worker, core.scraping.runner
from core.platform.database import open_database
from db.models import Result, RunEvent

database = open_database(sys.argv[1])  # already at head: no migration runs
with database.transaction() as session:
    session.scalars(select(Result).where(Result.data["price"].as_float() > 1)).all()
    str(insert(RunEvent).values(payload={"a": [1]}).compile(database.engine))
print("sqlalchemy.dialects.postgresql" in sys.modules)
"""


@pytest.mark.backends("sqlite")
def test_a_worker_on_sqlite_never_loads_postgresql_code(database_url: str) -> None:
    # SQLAlchemy imports a dialect to check an option that names it (~20 ms of every cold start):
    # the models keep PostgreSQL's options aside (db/models/postgresql.py), and JSONDocument
    # names JSONB only for a PostgreSQL connection.
    loaded = subprocess.run([sys.executable, "-c", SQLITE_PROCESS, database_url], check=True,
                            cwd=PROJECT_ROOT, capture_output=True, text=True).stdout.strip()
    assert loaded == "False"


def test_json_documents_are_jsonb_on_postgresql_and_json_text_elsewhere() -> None:
    from sqlalchemy.dialects import postgresql, sqlite

    column = Base.metadata.tables["results"].c.data
    assert column.type.compile(dialect=postgresql.dialect()) == "JSONB"
    assert column.type.compile(dialect=sqlite.dialect()) == "JSON"


def test_the_postgresql_index_options_are_set_for_postgresql() -> None:
    # (a process on SQLite never sets them: the test above)
    index = next(i for i in Base.metadata.tables["results"].indexes
                 if i.name == "ix_results_data_trgm")
    for_database(Base.metadata, "postgresql")
    for_database(Base.metadata, "postgresql")  # again: the same
    assert index.dialect_options["postgresql"]["using"] == "gin"
    assert index.dialect_options["postgresql"]["ops"] == {"data_text": "gin_trgm_ops"}


def test_a_written_migration_spells_json_documents_in_sqlalchemy_s_own_types() -> None:
    # `alembic revision --autogenerate` (the README) writes a JSON document's column as the
    # migrations always have, never through the private class that implements the type.
    from alembic.autogenerate import produce_migrations, render_python_code
    from alembic.autogenerate.api import AutogenContext
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine

    from db.migrate import JSON_DOCUMENT_IN_MIGRATIONS, render_item

    engine = create_engine("sqlite://")
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"render_item": render_item})
        code = render_python_code(produce_migrations(context, Base.metadata).upgrade_ops,
                                  render_item=render_item, migration_context=context)
        writing = AutogenContext(context, opts={"render_item": render_item})
        render_item("type", Base.metadata.tables["results"].c.data.type, writing)
    engine.dispose()
    assert f"sa.Column('data', {JSON_DOCUMENT_IN_MIGRATIONS}" in code
    assert "JSONDocument" not in code
    assert "from sqlalchemy.dialects import postgresql" in writing.imports
