"""builds and knowledge base

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 05:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.types


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # filled in with the models of this area


def downgrade() -> None:
    pass
