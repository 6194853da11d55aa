"""Data layer: typed SQLAlchemy 2 models (``db.models``), engine and sessions (``db.engine``),
and programmatic Alembic upgrades (``db.migrate``). Only ``core/`` imports this package."""
