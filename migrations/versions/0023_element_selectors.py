"""element_selectors (seed 001): per job and field, primary and fallback selectors with their
success rate, attempts and last verification, updated by runs

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 14:45:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.types

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('element_selectors',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('job_id', sa.Uuid(), nullable=False),
    sa.Column('page_path', sa.String(length=500), nullable=False),
    sa.Column('element_name', sa.String(length=255), nullable=False),
    sa.Column('primary_selector', sa.Text(), nullable=False),
    sa.Column('fallback_selectors', db.types.JSONDocument, nullable=False),
    sa.Column('success_rate', sa.Float(), nullable=False),
    sa.Column('total_attempts', sa.Integer(), nullable=False),
    sa.Column('last_verified', db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('screenshot_ref', sa.Text(), nullable=True),
    sa.Column('metadata', db.types.JSONDocument, nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['scraping_jobs.id'], name=op.f('fk_element_selectors_job_id_scraping_jobs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_element_selectors_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_element_selectors')),
    sa.UniqueConstraint('job_id', 'element_name', name=op.f('uq_element_selectors_job_id_element_name'))
    )
    for column in ('element_name', 'job_id', 'page_path', 'user_id'):
        op.create_index(op.f(f'ix_element_selectors_{column}'), 'element_selectors', [column],
                        unique=False)


def downgrade() -> None:
    for column in ('user_id', 'page_path', 'job_id', 'element_name'):
        op.drop_index(op.f(f'ix_element_selectors_{column}'), table_name='element_selectors')
    op.drop_table('element_selectors')
