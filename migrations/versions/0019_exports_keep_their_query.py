"""exports keep their query: the Results view (scope, search, filters, sort) a file holds

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 14:10:00

``exports.query`` (JSON, nullable): the query shown on the Results page when the export was
asked for. NULL (every export made before) means every result of the run in fetch order, which
is what those files hold. Adding a nullable column rewrites no row, on either database.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.types

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('exports', sa.Column('query', db.types.JSONDocument, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('exports') as batch:
        batch.drop_column('query')
