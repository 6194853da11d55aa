"""The workflow timeline: the one owner of ``run_events`` and ``workflow_node_states``.

Every workflow — a scraping run, a build, an SEO crawl, an SEO audit — writes what happens to it
here and nowhere else. In order:

- ``events``: the event classes, one per ``EventType`` (registered in ``EVENTS``), their payload
  as fields; ``from_row`` reads any stored row, old shapes included;
- ``workflows``: each workflow's nodes and edges declared as data (``WORKFLOWS``), the rules by
  which its events move its node states, and ``WorkflowRef`` (which instance);
- ``writer``: ``record`` / ``record_many``, the only code that inserts events or changes node
  states;
- ``reader``: ``events`` (typed), ``events_table`` (for a page), ``node_states``;
- ``graph``: a workflow instance's topology with its node states, as JSON or Graphviz DOT
  (``view.graph`` builds it: one DOT renderer for the CLI and the pages);
- ``view``: what a workflow panel shows (graph, timeline, log in sentences).

    from core import timeline
    timeline.record(session, timeline.WorkflowRef.run(run.id),
                    timeline.StateTransition(to=WorkStatus.QUEUED, trigger="manual"))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.timeline.events import (
    EVENTS, Completion, Event, Failure, Handoff, HandoffTarget, PageFetched, Retry,
    StateTransition, StepResult, ValidationResult, from_row,
)
from core.timeline.graph import Graph, GraphFormat
from core.timeline.reader import NodeStatus, events, events_table, node_states
from core.timeline.workflows import WORKFLOWS, Edge, Node, Workflow, WorkflowRef
from core.timeline.writer import record, record_many
from db.models.events import EventType, NodeState, NodeType, WorkflowKind

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def graph(session: Session, ref: WorkflowRef) -> Graph:
    """``core.timeline.view.graph``: the workflow's topology with its node states now. The view
    module (the workflow panel's sentences and drawing) loads when a graph is asked for, not by
    every command and worker that only records events."""
    from core.timeline.view import graph as view_graph

    return view_graph(session, ref)


__all__ = [
    "EVENTS", "Event", "StateTransition", "Handoff", "HandoffTarget", "PageFetched", "Retry",
    "StepResult", "ValidationResult", "Failure", "Completion", "from_row", "NodeStatus", "events",
    "events_table", "node_states", "WORKFLOWS", "Workflow", "Node", "Edge", "WorkflowRef",
    "record", "record_many", "Graph", "GraphFormat", "graph", "EventType", "NodeState", "NodeType", "WorkflowKind",
]
