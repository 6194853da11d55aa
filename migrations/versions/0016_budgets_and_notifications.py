"""budgets, their alerts (once per period and threshold) and in-app notifications

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 12:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.types

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cost_budgets',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('daily_usd', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('weekly_usd', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('monthly_usd', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('thresholds', db.types.JSONDocument, nullable=False),
    sa.Column('auto_stop', sa.Boolean(), nullable=False),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.Column('updated_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_cost_budgets_updated_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_cost_budgets_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cost_budgets')),
    sa.UniqueConstraint('user_id', name=op.f('uq_cost_budgets_user_id'))
    )
    op.create_table('budget_alerts',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('limit_usd', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('spent_usd', sa.Numeric(precision=18, scale=6), nullable=False),
    sa.Column('fired_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("period IN ('daily', 'weekly', 'monthly')", name=op.f('ck_budget_alerts_period')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_budget_alerts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_alerts'))
    )
    op.create_index('uq_budget_alerts_once', 'budget_alerts', ['user_id', 'period', 'period_start', 'threshold'], unique=True)
    op.create_table('in_app_notifications',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_in_app_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_in_app_notifications'))
    )
    op.create_index('ix_in_app_notifications_user_id_read_at', 'in_app_notifications', ['user_id', 'read_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_in_app_notifications_user_id_read_at', table_name='in_app_notifications')
    op.drop_table('in_app_notifications')
    op.drop_index('uq_budget_alerts_once', table_name='budget_alerts')
    op.drop_table('budget_alerts')
    op.drop_table('cost_budgets')
