"""plans and credits: seed 001's subscription tiers, subscriptions, usage records, credit
balances and packages, and the grants an admin made

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 14:16:15.381653

New tables only (``core.credits`` writes them); ``runs.credits_charged`` exists since 0001.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.types


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('credit_packages',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('credit_amount', sa.Integer(), nullable=False),
    sa.Column('price', sa.Integer(), nullable=False),
    sa.Column('credit_type', sa.String(length=50), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_packages')),
    sa.UniqueConstraint('name', name=op.f('uq_credit_packages_name'))
    )
    op.create_table('subscription_tiers',
    sa.Column('slug', sa.String(length=50), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('monthly_price_cents', sa.Integer(), nullable=False),
    sa.Column('monthly_execution_limit', sa.Integer(), nullable=False),
    sa.Column('max_concurrent_runs', sa.Integer(), nullable=False),
    sa.Column('max_execution_duration_minutes', sa.Integer(), nullable=False),
    sa.Column('credits_included', sa.Integer(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscription_tiers')),
    sa.UniqueConstraint('slug', name=op.f('uq_subscription_tiers_slug'))
    )
    op.create_table('credit_grants',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('package_id', sa.Uuid(), nullable=True),
    sa.Column('credits', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('granted_by', sa.Uuid(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['granted_by'], ['users.id'], name=op.f('fk_credit_grants_granted_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['package_id'], ['credit_packages.id'], name=op.f('fk_credit_grants_package_id_credit_packages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_credit_grants_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_grants'))
    )
    with op.batch_alter_table('credit_grants', schema=None) as batch_op:
        batch_op.create_index('ix_credit_grants_user_id_created_at', ['user_id', 'created_at'], unique=False)

    op.create_table('subscription_usage_records',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('tier_id', sa.Uuid(), nullable=False),
    sa.Column('execution_limit', sa.Integer(), nullable=False),
    sa.Column('executions_used', sa.Integer(), nullable=False),
    sa.Column('peak_concurrent_runs', sa.Integer(), nullable=False),
    sa.Column('credits_included', sa.Integer(), nullable=False),
    sa.Column('credits_used', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['tier_id'], ['subscription_tiers.id'], name=op.f('fk_subscription_usage_records_tier_id_subscription_tiers')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_subscription_usage_records_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscription_usage_records'))
    )
    with op.batch_alter_table('subscription_usage_records', schema=None) as batch_op:
        batch_op.create_index('uq_subscription_usage_records_period', ['user_id', 'period_start'], unique=True)

    op.create_table('user_credits',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('credit_type', sa.String(length=50), nullable=False),
    sa.Column('balance', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('total_purchased', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('total_used', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_credits_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_credits'))
    )
    with op.batch_alter_table('user_credits', schema=None) as batch_op:
        batch_op.create_index('uq_user_credits_user_type', ['user_id', 'credit_type'], unique=True)

    op.create_table('user_subscriptions',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('tier_id', sa.Uuid(), nullable=False),
    sa.Column('current_period_start', sa.Date(), nullable=False),
    sa.Column('current_period_end', sa.Date(), nullable=False),
    sa.Column('assigned_by', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assigned_by'], ['users.id'], name=op.f('fk_user_subscriptions_assigned_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tier_id'], ['subscription_tiers.id'], name=op.f('fk_user_subscriptions_tier_id_subscription_tiers')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_subscriptions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_subscriptions')),
    sa.UniqueConstraint('user_id', name=op.f('uq_user_subscriptions_user_id'))
    )


def downgrade() -> None:
    op.drop_table('user_subscriptions')
    with op.batch_alter_table('user_credits', schema=None) as batch_op:
        batch_op.drop_index('uq_user_credits_user_type')

    op.drop_table('user_credits')
    with op.batch_alter_table('subscription_usage_records', schema=None) as batch_op:
        batch_op.drop_index('uq_subscription_usage_records_period')

    op.drop_table('subscription_usage_records')
    with op.batch_alter_table('credit_grants', schema=None) as batch_op:
        batch_op.drop_index('ix_credit_grants_user_id_created_at')

    op.drop_table('credit_grants')
    op.drop_table('subscription_tiers')
    op.drop_table('credit_packages')
