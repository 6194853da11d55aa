"""A workflow instance as a graph: its declared nodes and edges with each node's state now, as
JSON (for scripts and views) or Graphviz DOT (``st.graphviz_chart`` and ``dot`` draw it; one
renderer, ``core.timeline.view.to_dot``, for the CLI and the pages).

A node not reached yet is drawn as planned (grey, dashed); a loop edge is drawn once, with the
iteration its target is at ("feedback ↻ 2").
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.timeline.reader import NodeStatus
from core.timeline.workflows import WORKFLOWS, Edge
from db.models.events import NodeState, WorkflowKind
from vocabularies import GraphFormat


# Fill and border per state (Graphviz colour names that read on light and dark backgrounds).
STATE_STYLE = {NodeState.IDLE: ("#f1f3f5", "#adb5bd", "dashed"),
               NodeState.WAITING: ("#fff3bf", "#f08c00", "solid"),
               NodeState.ACTIVE: ("#d0ebff", "#1c7ed6", "bold"),
               NodeState.COMPLETED: ("#d3f9d8", "#2f9e44", "solid"),
               NodeState.FAILED: ("#ffe3e3", "#e03131", "bold")}


@dataclass(frozen=True)
class Graph:
    kind: WorkflowKind
    id: uuid.UUID
    nodes: list[NodeStatus]
    edges: tuple[Edge, ...]
    drawing: str  # DOT, by the one renderer (``core.timeline.view.graph`` builds a Graph)
    counts: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # per node

    def iteration_of(self, node_id: str) -> int | None:
        return next((n.active_iteration for n in self.nodes if n.node.id == node_id), None)

    def edge_label(self, edge: Edge) -> str:
        if not edge.loop:
            return edge.label
        return loop_label(edge, self.iteration_of(edge.target), WORKFLOWS[self.kind].loop_bound)

    def to_json(self) -> dict[str, Any]:
        return {
            "workflow": self.kind.value, "id": str(self.id),
            "nodes": [{"id": n.node.id, "type": n.node.type.value, "label": n.node.label,
                       "state": n.state.value, "active_iteration": n.active_iteration,
                       "events": n.events, "failures": n.failures, "last_error": n.last_error,
                       "started_at": n.started_at.isoformat() if n.started_at else None,
                       "updated_at": n.updated_at.isoformat() if n.updated_at else None,
                       "counts": dict(self.counts.get(n.node.id, {}))}
                      for n in self.nodes],
            "edges": [{"source": e.source, "target": e.target, "loop": e.loop,
                       "label": self.edge_label(e)} for e in self.edges]}

    def to_dot(self) -> str:
        """Graphviz DOT, drawn as the pages draw it (``core.timeline.view.to_dot``: each
        node's state, time, counts, cost and error; a loop once, with its counter and bound):
        the CLI, the advisor and the agent jobs show the same picture as the workflow panel."""
        return self.drawing

    def render(self, fmt: GraphFormat | str) -> str:
        if GraphFormat(fmt) is GraphFormat.DOT:
            return self.to_dot()
        return json.dumps(self.to_json(), indent=2)


def loop_label(edge: Edge, iteration: int | None, bound: int | None) -> str:
    """A loop edge's label: "feedback ↻ 2", or with its bound "feedback ↻ 2/3"."""
    counter = f"{iteration or 0}/{bound}" if bound else (str(iteration) if iteration else "")
    return f"{edge.label} ↻ {counter}".rstrip()


def _quote(text: str) -> str:
    """A DOT string: double-quoted, with quotes, backslashes and new lines escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
