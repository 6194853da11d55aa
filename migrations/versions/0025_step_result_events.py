"""step_result events: what a step made of its input (a run's extraction and store per flush,
an SEO crawl's checks, findings and store, an SEO audit's checks, score and report)

Only ``run_events.event_type``'s check constraint changes: it accepts ``step_result``.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05 20:15:00
"""
from __future__ import annotations

from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

# As of this revision (a migration never reads the models: they move on).
OLD_TYPES = ('state_transition', 'handoff', 'page_fetched', 'retry', 'validation_result',
             'failure', 'completion')
NEW_TYPES = (*OLD_TYPES, 'step_result')


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _check(values: tuple[str, ...]) -> None:
    with op.batch_alter_table('run_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_run_events_event_type'), type_='check')
        batch_op.create_check_constraint('event_type', _in('event_type', values))


def upgrade() -> None:
    _check(NEW_TYPES)


def downgrade() -> None:
    op.execute("DELETE FROM run_events WHERE event_type = 'step_result'")
    _check(OLD_TYPES)
