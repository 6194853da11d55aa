"""seo site crawls

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 05:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.types


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # filled in with the models of this area


def downgrade() -> None:
    pass
