"""build render options: a render switch and a wait-for selector on the build form

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 11:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('builds') as batch:
        batch.add_column(sa.Column('render_javascript', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column('wait_for', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('builds') as batch:
        batch.drop_column('wait_for')
        batch.drop_column('render_javascript')
