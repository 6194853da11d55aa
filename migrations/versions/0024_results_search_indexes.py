"""results search indexes (PostgreSQL: pg_trgm on the JSON text and the source URL)

The Results search is a case-insensitive substring of an item's JSON text or of its source URL.
On PostgreSQL a trigram GIN index on each answers it from the index: 4.7 s → 0.1 s over a
million results (bench/results_scale.py). SQLite has no such index and keeps scanning.

Indexes on single data fields (sort, exact filters) are not here: their keys are the extractors',
so the app builds them (core/scraping/field_indexes.py).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 17:40:00
"""
from __future__ import annotations

from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # pg_trgm ships with PostgreSQL (contrib) and is a trusted extension: a database owner may
    # create it without being a superuser.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE INDEX ix_results_data_trgm ON results "
               "USING gin ((CAST(data AS TEXT)) gin_trgm_ops)")
    op.execute("CREATE INDEX ix_results_source_url_trgm ON results "
               "USING gin (source_url gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_results_source_url_trgm")
    op.execute("DROP INDEX IF EXISTS ix_results_data_trgm")
    op.execute("DROP EXTENSION IF EXISTS pg_trgm")
