"""llm providers and model prices

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 05:10:00

The price table is seeded here (a data insert), so every database starts with prices for
common models. The rows are a frozen copy of ``core.llm.prices.DEFAULT_PRICES`` as of this
revision: a migration must not change when application code does.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

import db.types


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# (provider, model pattern, USD per 1M input tokens, USD per 1M output tokens)
SEEDED_PRICES = [
    ("OpenAI", "gpt-4o*", "2.50", "10.00"),
    ("OpenAI", "gpt-4o-mini*", "0.15", "0.60"),
    ("OpenAI", "gpt-4.1*", "2.00", "8.00"),
    ("OpenAI", "gpt-4.1-mini*", "0.40", "1.60"),
    ("OpenAI", "gpt-4.1-nano*", "0.10", "0.40"),
    ("OpenAI", "o3-mini*", "1.10", "4.40"),
    ("OpenAI", "o4-mini*", "1.10", "4.40"),
    ("Anthropic", "claude-*sonnet*", "3.00", "15.00"),
    ("Anthropic", "claude-*haiku*", "0.80", "4.00"),
    ("OpenRouter", "openai/gpt-4o*", "2.50", "10.00"),
    ("OpenRouter", "openai/gpt-4o-mini*", "0.15", "0.60"),
    ("OpenRouter", "openai/gpt-4.1-mini*", "0.40", "1.60"),
    ("OpenRouter", "anthropic/claude-*sonnet*", "3.00", "15.00"),
    ("OpenRouter", "meta-llama/llama-3.1-8b-instruct*", "0.02", "0.03"),
    ("OpenRouter", "meta-llama/llama-3.3-70b-instruct*", "0.12", "0.30"),
    ("OpenRouter", "mistralai/mistral-small*", "0.10", "0.30"),
    ("OpenRouter", "mistralai/mistral-large*", "2.00", "6.00"),
]


def upgrade() -> None:
    op.create_table('llm_providers',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('base_url', sa.Text(), nullable=False),
    sa.Column('model', sa.String(length=120), nullable=False),
    sa.Column('api_key_encrypted', sa.Text(), nullable=True),
    sa.Column('timeout_seconds', sa.Float(), nullable=False),
    sa.Column('test_status', sa.String(length=20), nullable=False),
    sa.Column('test_message', sa.Text(), nullable=True),
    sa.Column('tested_at', db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("test_status IN ('never', 'testing', 'ok', 'failed')", name=op.f('ck_llm_providers_test_status')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_llm_providers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_llm_providers')),
    sa.UniqueConstraint('user_id', name=op.f('uq_llm_providers_user_id'))
    )
    prices = op.create_table('model_prices',
    sa.Column('provider', sa.String(length=60), nullable=False),
    sa.Column('model_pattern', sa.String(length=120), nullable=False),
    sa.Column('input_per_million', sa.Numeric(precision=12, scale=6), nullable=False),
    sa.Column('output_per_million', sa.Numeric(precision=12, scale=6), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.Column('updated_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_model_prices_updated_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_prices')),
    sa.UniqueConstraint('model_pattern', name=op.f('uq_model_prices_model_pattern'))
    )
    now = datetime.now(timezone.utc)
    op.bulk_insert(prices, [
        {"id": uuid.uuid4(), "provider": provider, "model_pattern": pattern,
         "input_per_million": Decimal(inp), "output_per_million": Decimal(out),
         "currency": "USD", "updated_by": None, "updated_at": now}
        for provider, pattern, inp, out in SEEDED_PRICES])


def downgrade() -> None:
    op.drop_table('model_prices')
    op.drop_table('llm_providers')
