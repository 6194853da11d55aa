"""timeline and ledger owners: typed events for every workflow, node states, ledger kinds

``run_events`` also holds SEO crawls' and audits' events (``crawl_id``, ``report_id``; exactly one
workflow per row) and its ``event_type`` is checked against the closed list; old payloads are
brought to the one shape per type (a claim is a ``handoff`` to a worker for runs and builds
alike, a stale failure says where the workflow went: ``to``; build nodes are the declared ones).
``workflow_node_states`` is new. ``cost_events`` gets ``crawl_id`` and ``report_id``, its
``pages`` kind (which counted requests) is called ``requests``, and ``kind`` is checked.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 11:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.types

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# As of this revision (a migration never reads the models: they move on).
EVENT_TYPES = ('state_transition', 'handoff', 'page_fetched', 'retry', 'validation_result',
               'failure', 'completion')
NODE_TYPES = ('fetch', 'render', 'extract', 'analyse', 'validate', 'human', 'store')
NODE_STATES = ('idle', 'active', 'waiting', 'completed', 'failed')
COST_KINDS = ('requests', 'bytes_fetched', 'renders', 'browser_seconds', 'llm_input_tokens',
              'llm_output_tokens')
WORKFLOW_COLUMNS = ('run_id', 'build_id', 'crawl_id', 'report_id')
ONE_WORKFLOW = " + ".join(f"(CASE WHEN {c} IS NULL THEN 0 ELSE 1 END)"
                          for c in WORKFLOW_COLUMNS) + " = 1"
OLD_BUILD_NODES = {'fetch': 'analyse', 'knowledge_base': 'propose', 'model': 'propose',
                   'samples': 'sample'}


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _workflow_columns() -> list[sa.Column]:
    return [sa.Column('run_id', sa.Uuid(), nullable=True),
            sa.Column('build_id', sa.Uuid(), nullable=True),
            sa.Column('crawl_id', sa.Uuid(), nullable=True),
            sa.Column('report_id', sa.Uuid(), nullable=True)]


def _new_shape(event_type: str, node: str | None, payload: dict, build: bool
               ) -> tuple[str, str | None, dict]:
    payload = dict(payload or {})
    if event_type == 'state_transition' and payload.get('to') == 'running' and 'worker' in payload:
        event_type, payload = 'handoff', {'target': 'worker', 'worker': payload['worker']}
    elif event_type == 'handoff' and 'target' not in payload:
        if 'worker' in payload or payload.get('request') == 'cancel':
            payload['target'] = 'worker'
        elif 'job' in payload:
            payload['target'] = 'job'
        elif node == 'knowledge_base':
            payload['target'] = 'knowledge_base'
        else:
            payload['target'] = 'model'
    if event_type == 'failure' and payload.get('reason') == 'heartbeat lost' \
            and 'to' not in payload:
        payload['to'] = 'failed'
    if build and node in OLD_BUILD_NODES:
        node = OLD_BUILD_NODES[node]
    return event_type, node, payload


def upgrade() -> None:
    with op.batch_alter_table('run_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('crawl_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('report_id', sa.Uuid(), nullable=True))
        batch_op.create_index('ix_run_events_crawl_id_occurred_at', ['crawl_id', 'occurred_at'], unique=False)
        batch_op.create_index('ix_run_events_report_id_occurred_at', ['report_id', 'occurred_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_run_events_crawl_id_seo_crawls'), 'seo_crawls', ['crawl_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_run_events_report_id_seo_reports'), 'seo_reports', ['report_id'], ['id'], ondelete='CASCADE')
        batch_op.drop_constraint(batch_op.f('ck_run_events_run_or_build'), type_='check')
        batch_op.create_check_constraint('one_workflow', ONE_WORKFLOW)
        batch_op.create_check_constraint('event_type', _in('event_type', EVENT_TYPES))

    events = sa.table('run_events', sa.column('id', sa.Uuid()), sa.column('event_type', sa.String()),
                      sa.column('node_id', sa.String()), sa.column('payload', sa.JSON()),
                      sa.column('build_id', sa.Uuid()))
    bind = op.get_bind()
    rows = bind.execute(sa.select(events.c.id, events.c.event_type, events.c.node_id,
                                  events.c.payload, events.c.build_id)
                        .where(events.c.event_type.in_(('state_transition', 'handoff', 'failure'))
                               | events.c.build_id.is_not(None))).all()
    for event_id, event_type, node, payload, build_id in rows:
        new = _new_shape(event_type, node, payload, build_id is not None)
        if new != (event_type, node, payload):
            bind.execute(events.update().where(events.c.id == event_id).values(
                event_type=new[0], node_id=new[1], payload=new[2]))

    op.create_table('workflow_node_states',
    *_workflow_columns(),
    sa.Column('node_id', sa.String(length=60), nullable=False),
    sa.Column('node_type', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('active_iteration', sa.Integer(), nullable=True),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('started_at', db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint(ONE_WORKFLOW, name=op.f('ck_workflow_node_states_one_workflow')),
    sa.CheckConstraint(_in('node_type', NODE_TYPES), name=op.f('ck_workflow_node_states_node_type')),
    sa.CheckConstraint(_in('state', NODE_STATES), name=op.f('ck_workflow_node_states_state')),
    sa.ForeignKeyConstraint(['build_id'], ['builds.id'], name=op.f('fk_workflow_node_states_build_id_builds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['crawl_id'], ['seo_crawls.id'], name=op.f('fk_workflow_node_states_crawl_id_seo_crawls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_id'], ['seo_reports.id'], name=op.f('fk_workflow_node_states_report_id_seo_reports'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], name=op.f('fk_workflow_node_states_run_id_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workflow_node_states'))
    )
    with op.batch_alter_table('workflow_node_states', schema=None) as batch_op:
        for column in WORKFLOW_COLUMNS:
            batch_op.create_index(f'uq_workflow_node_states_{column}_node_id', [column, 'node_id'], unique=True)

    op.execute("UPDATE cost_events SET kind = 'requests' WHERE kind = 'pages'")
    with op.batch_alter_table('cost_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('crawl_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('report_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_cost_events_crawl_id'), ['crawl_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cost_events_report_id'), ['report_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_cost_events_crawl_id_seo_crawls'), 'seo_crawls', ['crawl_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_cost_events_report_id_seo_reports'), 'seo_reports', ['report_id'], ['id'], ondelete='SET NULL')
        batch_op.create_check_constraint('kind', _in('kind', COST_KINDS))


def downgrade() -> None:
    with op.batch_alter_table('cost_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_cost_events_kind'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_cost_events_report_id_seo_reports'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_cost_events_crawl_id_seo_crawls'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_cost_events_report_id'))
        batch_op.drop_index(batch_op.f('ix_cost_events_crawl_id'))
        batch_op.drop_column('report_id')
        batch_op.drop_column('crawl_id')
    op.execute("UPDATE cost_events SET kind = 'pages' WHERE kind = 'requests'")

    op.drop_table('workflow_node_states')

    # Crawl and audit events have no place before this revision; the new payload shapes read
    # fine as they are (the old code never checked them).
    op.execute("DELETE FROM run_events WHERE crawl_id IS NOT NULL OR report_id IS NOT NULL")
    with op.batch_alter_table('run_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_run_events_event_type'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_run_events_one_workflow'), type_='check')
        batch_op.create_check_constraint('run_or_build', 'run_id IS NOT NULL OR build_id IS NOT NULL')
        batch_op.drop_constraint(batch_op.f('fk_run_events_report_id_seo_reports'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_run_events_crawl_id_seo_crawls'), type_='foreignkey')
        batch_op.drop_index('ix_run_events_report_id_occurred_at')
        batch_op.drop_index('ix_run_events_crawl_id_occurred_at')
        batch_op.drop_column('report_id')
        batch_op.drop_column('crawl_id')
