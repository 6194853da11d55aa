"""Alembic environment: the URL comes from the caller (db.migrate) or from core.platform.settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import make_url

from core.platform.settings import get_settings
from db.engine import make_engine
from db.migrate import include_object, render_item
from db.models import Base
from db.models.postgresql import for_database

config = context.config
target_metadata = Base.metadata


def database_url() -> str:
    return config.attributes.get("database_url") or get_settings().resolved_database_url


def run_migrations_offline() -> None:
    backend = make_url(database_url()).get_backend_name()
    context.configure(url=database_url(), target_metadata=for_database(target_metadata, backend),
                      literal_binds=True, render_as_batch=True, render_item=render_item,
                      include_object=include_object(backend))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(database_url())
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    # Batch mode lets ALTERs work on SQLite, which cannot alter most constraints in place.
    context.configure(connection=connection,
                      target_metadata=for_database(target_metadata, connection.dialect.name),
                      render_as_batch=True, compare_type=True, render_item=render_item,
                      include_object=include_object(connection.dialect.name))
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
