"""prices with history and daily cost summaries

``prices`` holds a price per billable kind with effective dates; it starts with the existing
``model_prices`` rows (input and output tokens, in force since 2000-01-01, so the costs already
recorded keep their meaning) and then the rows of the starting table
(``core/ledger/starting_prices.json``) whose kind, provider and pattern are not there yet.
``cost_events`` keeps 10 decimals of USD (one request costs less than a millionth), says how each row was priced (``price_status``: rows that had a cost are
``exact``, the others ``missing``) and by which price (``price_id``); its kinds gain cache-read
and cache-write tokens and storage. ``daily_cost_summaries`` (seed 001) is filled from the
ledger rows already recorded.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 12:05:00
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from alembic import op

import db.types

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

OLD_KINDS = ('requests', 'bytes_fetched', 'renders', 'browser_seconds', 'llm_input_tokens',
             'llm_output_tokens')
NEW_KINDS = OLD_KINDS + ('llm_cache_read_tokens', 'llm_cache_write_tokens', 'storage_gb_months')
PRICE_KINDS = NEW_KINDS + ('credits',)
STATUSES = ('exact', 'default', 'missing')
SINCE_EVER = datetime(2000, 1, 1, tzinfo=timezone.utc)
STARTING = Path(__file__).resolve().parents[2] / "core" / "ledger" / "starting_prices.json"


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    prices = op.create_table('prices',
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('provider', sa.String(length=60), nullable=False),
    sa.Column('model_pattern', sa.String(length=120), nullable=False),
    sa.Column('usd', sa.Numeric(precision=20, scale=10), nullable=False),
    sa.Column('per', sa.BigInteger(), nullable=False),
    sa.Column('effective_from', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('effective_until', db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint(_in('kind', PRICE_KINDS), name=op.f('ck_prices_kind')),
    sa.CheckConstraint('per > 0', name=op.f('ck_prices_per_positive')),
    sa.CheckConstraint('usd >= 0', name=op.f('ck_prices_usd_not_negative')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_prices_created_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prices'))
    )
    op.create_index('ix_prices_kind_effective_from', 'prices', ['kind', 'effective_from'], unique=False)

    summaries = op.create_table('daily_cost_summaries',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('provider', sa.String(length=60), nullable=False),
    sa.Column('model', sa.String(length=120), nullable=False),
    sa.Column('job_key', sa.String(length=36), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=24, scale=6), nullable=False),
    sa.Column('cost_usd', sa.Numeric(precision=24, scale=10), nullable=False),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.Column('unpriced', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_daily_cost_summaries_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_daily_cost_summaries'))
    )
    op.create_index('ix_daily_cost_summaries_day', 'daily_cost_summaries', ['day'], unique=False)
    op.create_index('uq_daily_cost_summaries_key', 'daily_cost_summaries', ['user_id', 'day', 'kind', 'provider', 'model', 'job_key'], unique=True)

    with op.batch_alter_table('cost_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('price_status', sa.String(length=10), server_default='missing', nullable=False))
        batch_op.add_column(sa.Column('price_id', sa.Uuid(), nullable=True))
        batch_op.alter_column('cost_usd', existing_type=sa.Numeric(precision=14, scale=6), type_=sa.Numeric(precision=20, scale=10), existing_nullable=True)
        batch_op.create_foreign_key(batch_op.f('fk_cost_events_price_id_prices'), 'prices', ['price_id'], ['id'], ondelete='SET NULL')
        batch_op.drop_constraint(batch_op.f('ck_cost_events_kind'), type_='check')
        batch_op.create_check_constraint('kind', _in('kind', NEW_KINDS))
        batch_op.create_check_constraint('price_status', _in('price_status', STATUSES))
    op.execute("UPDATE cost_events SET price_status = 'exact' WHERE cost_usd IS NOT NULL")

    bind = op.get_bind()
    now = datetime.now(timezone.utc)
    rows, present = [], set()
    old = sa.table('model_prices', sa.column('provider', sa.String), sa.column('model_pattern', sa.String),
                   sa.column('input_per_million', sa.Numeric), sa.column('output_per_million', sa.Numeric))
    for provider, pattern, inp, out in bind.execute(sa.select(old.c.provider, old.c.model_pattern, old.c.input_per_million, old.c.output_per_million)):
        for kind, usd in (('llm_input_tokens', inp), ('llm_output_tokens', out)):
            present.add((kind, provider, pattern.lower()))
            rows.append({'id': uuid.uuid4(), 'kind': kind, 'provider': provider, 'model_pattern': pattern,
                         'usd': Decimal(usd), 'per': 1_000_000, 'effective_from': SINCE_EVER,
                         'source': 'model_prices, before prices had a history', 'created_at': now})
    data = json.loads(STARTING.read_text(encoding='utf-8'))
    start = datetime.fromisoformat(data['effective_from'])
    for kind, provider, pattern, usd, per in data['prices']:
        if (kind, provider, pattern.lower()) not in present:
            rows.append({'id': uuid.uuid4(), 'kind': kind, 'provider': provider, 'model_pattern': pattern,
                         'usd': Decimal(usd), 'per': int(per), 'effective_from': start,
                         'source': f"starting table of {data['as_of']}", 'created_at': now})
    if rows:
        op.bulk_insert(prices, rows)

    events = sa.table('cost_events', sa.column('user_id', sa.Uuid), sa.column('occurred_at', db.types.UTCDateTime(timezone=True)),
                      sa.column('kind', sa.String), sa.column('provider', sa.String), sa.column('model', sa.String),
                      sa.column('job_id', sa.Uuid), sa.column('quantity', sa.Numeric), sa.column('cost_usd', sa.Numeric))
    sums: dict[tuple, list] = {}
    for r in bind.execute(sa.select(events)):
        key = (r.user_id, r.occurred_at.astimezone(timezone.utc).date(), r.kind, r.provider or '', r.model or '',
               str(r.job_id) if r.job_id else '')
        found = sums.setdefault(key, [Decimal(0), Decimal(0), 0, 0])
        found[0] += Decimal(r.quantity)
        found[1] += Decimal(r.cost_usd or 0)
        found[2] += 1
        found[3] += r.cost_usd is None
    if sums:
        op.bulk_insert(summaries, [
            {'id': uuid.uuid4(), 'user_id': k[0], 'day': k[1], 'kind': k[2], 'provider': k[3], 'model': k[4],
             'job_key': k[5], 'quantity': v[0], 'cost_usd': v[1], 'events': v[2], 'unpriced': v[3]}
            for k, v in sums.items()])


def downgrade() -> None:
    op.execute("DELETE FROM cost_events WHERE kind NOT IN ("
               + ", ".join(repr(k) for k in OLD_KINDS) + ")")
    with op.batch_alter_table('cost_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_cost_events_price_status'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_cost_events_kind'), type_='check')
        batch_op.create_check_constraint('kind', _in('kind', OLD_KINDS))
        batch_op.drop_constraint(batch_op.f('fk_cost_events_price_id_prices'), type_='foreignkey')
        batch_op.drop_column('price_id')
        batch_op.alter_column('cost_usd', existing_type=sa.Numeric(precision=20, scale=10), type_=sa.Numeric(precision=14, scale=6), existing_nullable=True)
        batch_op.drop_column('price_status')
    op.drop_index('uq_daily_cost_summaries_key', table_name='daily_cost_summaries')
    op.drop_index('ix_daily_cost_summaries_day', table_name='daily_cost_summaries')
    op.drop_table('daily_cost_summaries')
    op.drop_index('ix_prices_kind_effective_from', table_name='prices')
    op.drop_table('prices')
