"""The one reader of the timeline: a workflow's events as typed objects, and its node states
in the declared order (a node without a row yet reads as idle)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.timeline.events import Event, from_row
from core.timeline.workflows import Node, WorkflowRef
from db.models.events import NodeState, RunEvent, WorkflowNodeState

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class NodeStatus:
    node: Node
    state: NodeState
    active_iteration: int | None = None
    events: int = 0
    failures: int = 0
    last_error: str | None = None
    started_at: datetime | None = None
    updated_at: datetime | None = None


def events(session: Session, ref: WorkflowRef, *, limit: int | None = 200,
           node: str | None = None, newest_first: bool = True) -> list[Event]:
    """The workflow's events (``limit`` of them; ``node``: only that node's)."""
    column = getattr(RunEvent, ref.column)
    order = RunEvent.occurred_at.desc() if newest_first else RunEvent.occurred_at
    query = (select(RunEvent.event_type, RunEvent.node_id, RunEvent.payload, RunEvent.occurred_at)
             .where(column == ref.id).order_by(order).limit(limit))
    if node is not None:
        query = query.where(RunEvent.node_id == node)
    return [from_row(*row) for row in session.execute(query)]


def events_table(session: Session, ref: WorkflowRef, limit: int = 200) -> pd.DataFrame:
    """Newest first, one row per event: ``at``, ``event``, ``node``, ``payload``."""
    import pandas as pd

    rows = [(e.at, e.type.value, e.node, e.payload()) for e in events(session, ref, limit=limit)]
    return pd.DataFrame(rows, columns=["at", "event", "node", "payload"])


def node_states(session: Session, ref: WorkflowRef) -> list[NodeStatus]:
    """One ``NodeStatus`` per declared node of the workflow, in order."""
    column = getattr(WorkflowNodeState, ref.column)
    rows = {r.node_id: r for r in session.scalars(
        select(WorkflowNodeState).where(column == ref.id))}
    found = []
    for node in ref.workflow.nodes:
        row = rows.get(node.id)
        found.append(NodeStatus(node, NodeState.IDLE) if row is None else NodeStatus(
            node, NodeState(row.state), row.active_iteration, row.events, row.failures,
            row.last_error, row.started_at, row.updated_at))
    return found
