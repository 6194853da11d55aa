"""Alembic migrations build, from an empty database, exactly what the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from db.models import Base


def test_migrations_and_models_agree(database_url: str) -> None:
    # database_url is an empty database brought to head by `alembic upgrade head`.
    engine = create_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []


def test_every_model_table_exists_after_upgrade(database_url: str) -> None:
    engine = create_engine(database_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert set(Base.metadata.tables) <= tables


def test_json_columns_are_jsonb_on_postgresql(database_url: str) -> None:
    engine = create_engine(database_url)
    if engine.dialect.name != "postgresql":
        engine.dispose()
        return
    columns = {c["name"]: c["type"] for c in inspect(engine).get_columns("extractor_schemas")}
    engine.dispose()
    assert type(columns["schema_definition"]).__name__ == "JSONB"
