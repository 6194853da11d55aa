"""Alembic migrations build, from an empty database, exactly what the models describe."""

import re
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import CheckConstraint, create_engine, inspect

from db.migrate import FIELD_INDEX_PREFIX, include_object
from db.models import Base
from db.models.postgresql import for_database


def test_migrations_and_models_agree(database_url: str) -> None:
    # database_url is an empty database brought to head by `alembic upgrade head`. env.py's
    # filter applies: indexes the app builds on data fields (another test may have left one)
    # and the models' PostgreSQL-only indexes on SQLite are left out.
    engine = create_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True,
                         "include_object": include_object(connection.dialect.name)})
        differences = compare_metadata(context, for_database(Base.metadata, engine.dialect.name))
    engine.dispose()
    assert differences == []


def _literals(sql: str) -> list[str]:
    # PostgreSQL gives a check back rewritten ("status::text = ANY (ARRAY['queued'::…])");
    # the values it allows, in order, are what must agree.
    return re.findall(r"'([^']*)'", sql)


def test_check_constraints_are_the_ones_the_models_build_from_the_vocabularies(
        database_url: str) -> None:
    # compare_metadata does not look at check constraints: the closed vocabularies
    # (vocabularies.py) reach the database only if a migration wrote the same lists.
    expected = {(table.name, c.name): _literals(str(c.sqltext))
                for table in Base.metadata.tables.values() for c in table.constraints
                if isinstance(c, CheckConstraint)}
    engine = create_engine(database_url)
    inspector = inspect(engine)
    found = {(table, c["name"]): _literals(c["sqltext"])
             for table in Base.metadata.tables for c in inspector.get_check_constraints(table)}
    engine.dispose()
    assert ("users", "ck_users_role") in expected and len(expected) >= 12
    assert found == expected


def test_every_model_table_exists_after_upgrade(database_url: str) -> None:
    engine = create_engine(database_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert set(Base.metadata.tables) <= tables


@pytest.mark.backends("postgresql")
def test_json_columns_are_jsonb_on_postgresql(database_url: str) -> None:
    engine = create_engine(database_url)
    columns = {c["name"]: c["type"] for c in inspect(engine).get_columns("extractor_schemas")}
    engine.dispose()
    assert type(columns["schema_definition"]).__name__ == "JSONB"


def test_revisions_are_their_file_numbers_in_one_linear_chain() -> None:
    # db.migrate.at_head relies on it: the head is the highest-numbered file, so a process
    # start can skip Alembic when the database is already there.
    from alembic.script import ScriptDirectory

    from db.migrate import VERSIONS, alembic_config, head_revision

    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    numbers = sorted(p.name[:4] for p in VERSIONS.glob("[0-9][0-9][0-9][0-9]_*.py"))
    assert scripts.get_heads() == [head_revision()] == [numbers[-1]]
    chain = [s.revision for s in scripts.walk_revisions()][::-1]
    assert chain == numbers  # one after the other, nothing skipped, nothing branched
    for script in scripts.walk_revisions():
        assert script.path is not None and Path(script.path).name.startswith(script.revision)


def test_a_database_at_head_is_not_migrated_again(database_url: str) -> None:
    from db.migrate import at_head

    assert at_head(database_url)
    assert not at_head("sqlite://")  # an empty database: Alembic runs


def _predicate(sql: str, table: str) -> str:
    # PostgreSQL gives a predicate back in parentheses, its columns unqualified
    return re.sub(r"[()\s]", "", sql.replace(f"{table}.", "")).lower()


def test_partial_indexes_hold_the_rows_the_models_say(database_url: str) -> None:
    # compare_metadata does not look at an index's WHERE either.
    engine = create_engine(database_url)
    for_database(Base.metadata, engine.dialect.name)
    option = f"{engine.dialect.name}_where"
    expected = {(table.name, index.name): _predicate(
                    str(index.dialect_options[engine.dialect.name]["where"].compile(
                        dialect=engine.dialect)), table.name)
                for table in Base.metadata.tables.values() for index in table.indexes
                if index.dialect_options[engine.dialect.name]["where"] is not None}
    inspector = inspect(engine)
    found = {(table, index["name"]): _predicate(str(index["dialect_options"][option]), table)
             for table in Base.metadata.tables for index in inspector.get_indexes(table)
             if option in index.get("dialect_options", {})
             and not index["name"].startswith(FIELD_INDEX_PREFIX)}  # the app's, on data fields
    engine.dispose()
    assert ("run_events", "ix_run_events_build_id_occurred_at") in expected
    assert expected["run_events", "ix_run_events_build_id_occurred_at"] == "build_idisnotnull"
    assert found == expected
