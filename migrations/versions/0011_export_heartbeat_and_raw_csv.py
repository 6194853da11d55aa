"""exports: a worker heartbeat (dead export workers are reaped like runs) and the raw CSV opt-out

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 11:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.types


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('exports') as batch:
        batch.add_column(sa.Column('raw_values', sa.Boolean(), server_default=sa.false(),
                                   nullable=False))
        batch.add_column(sa.Column('worker_id', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('heartbeat_at', db.types.UTCDateTime(timezone=True),
                                   nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('exports') as batch:
        batch.drop_column('heartbeat_at')
        batch.drop_column('worker_id')
        batch.drop_column('raw_values')
