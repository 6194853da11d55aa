"""vocabulary check constraints: every closed set a column holds is checked by the database

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 11:00:00

The sets are the enums of ``vocabularies.py``; a migration keeps its own copy of the values (it
must build the same schema whatever the enums become later), and ``tests/test_migrations.py``
checks the migrated database has exactly the constraints the models build from the enums.
Before this revision every such column was checked but ``login_attempts.failure_reason``.
Batch mode: SQLite adds a constraint by copying the table; PostgreSQL alters it in place.
"""
from __future__ import annotations

from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f('ck_login_attempts_failure_reason'),
            "failure_reason IN ('wrong_credentials', 'suspended', 'locked', 'address_locked')")


def downgrade() -> None:
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_login_attempts_failure_reason'), type_='check')
