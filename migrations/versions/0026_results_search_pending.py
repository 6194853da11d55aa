"""results.search_pending: a run's rows reach the search indexes after the run's flush

A run's flush wrote each result into the two trigram indexes of 0024 as it stored it: about 45 µs
of PostgreSQL's CPU per row, more than the rest of the row's write (bench/results_scale.py), so
ingestion could not pass ~15,000 rows/s however fast the worker was. Rows the flush writes now
carry ``search_pending``; the trigram indexes are partial (``WHERE NOT search_pending``) and skip
them, and the run indexes them (``search_pending = false``) when its flusher is idle and at its
end (core/scraping/runner.py). Search still finds them meanwhile: through
``ix_results_search_pending`` (the pending rows of a run) and a scan of those rows only.

Rows already stored are indexed (the column's default), so the indexes are rebuilt as partial
ones over the same rows. SQLite has none of these indexes; the column is there (always false) so
both databases have one table.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 20:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('results', sa.Column('search_pending', sa.Boolean(), nullable=False,
                                       server_default=sa.false()))
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_results_data_trgm")
    op.execute("DROP INDEX ix_results_source_url_trgm")
    op.execute("CREATE INDEX ix_results_data_trgm ON results "
               "USING gin ((CAST(data AS TEXT)) gin_trgm_ops) WHERE NOT search_pending")
    op.execute("CREATE INDEX ix_results_source_url_trgm ON results "
               "USING gin (source_url gin_trgm_ops) WHERE NOT search_pending")
    op.execute("CREATE INDEX ix_results_search_pending ON results (run_id) "
               "WHERE search_pending")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE results SET search_pending = false WHERE search_pending")
        op.execute("DROP INDEX ix_results_search_pending")
        op.execute("DROP INDEX ix_results_source_url_trgm")
        op.execute("DROP INDEX ix_results_data_trgm")
        op.execute("CREATE INDEX ix_results_data_trgm ON results "
                   "USING gin ((CAST(data AS TEXT)) gin_trgm_ops)")
        op.execute("CREATE INDEX ix_results_source_url_trgm ON results "
                   "USING gin (source_url gin_trgm_ops)")
    op.execute("ALTER TABLE results DROP COLUMN search_pending")  # SQLite ≥ 3.35 too: no rebuild
