"""The one writer of ``run_events`` and ``workflow_node_states``.

``record(session, ref, event)`` adds one event to the caller's transaction; ``record_many`` adds
a batch in one statement (the run executor's flusher writes every page's events this way).
Either also moves the workflow's node states (rules: ``core.timeline.workflows``), so a graph
reads them as they are, never recomputing them from the events. A workflow's node rows are
created, idle, with its first event.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.timeline.events import EVENTS, Event, Failure, Handoff, HandoffTarget, status_of
from core.timeline.workflows import Workflow, WorkflowRef
from db.models.events import WORKFLOW_COLUMNS, NodeState, RunEvent, WorkflowNodeState
from db.plain_rows import OrderedIds, SqliteRows, sqlite_driver, sqlite_time
from db.types import utcnow

AT_WORK = (NodeState.ACTIVE, NodeState.WAITING)


def record(session: Session, ref: WorkflowRef, event: Event) -> None:
    """Write one event of ``ref``'s workflow (stamped now unless ``event.at`` says when)."""
    record_many(session, ref, [event])


def record_many(session: Session, ref: WorkflowRef, events: Sequence[Event]) -> None:
    """Write a batch of events of one workflow, in order, and move its node states."""
    if not events:
        return
    workflow, now = ref.workflow, utcnow()
    stamped: list[tuple[Event, datetime]] = []
    for event in events:
        _check(workflow, event)
        stamped.append((event, event.at or now))
    session.flush()  # the workflow's own row first, when it was only just added
    _insert_events(session, ref, stamped)
    states = _node_rows(session, ref, stamped[0][1])
    counted = _Counts(states)
    for event, at in stamped:
        if _only_counts(event):
            counted.add(event.node, at)  # type: ignore[arg-type]
        else:
            counted.apply()  # in order: the counts so far, then this event
            _advance(workflow, states, event, at)
    counted.apply()


def _insert_events(session: Session, ref: WorkflowRef,
                   stamped: list[tuple[Event, datetime]]) -> None:
    """The events' rows: on SQLite, plain values to the driver (``db.plain_rows.SqliteRows``: a
    crawl writes one event per page); elsewhere one executemany through SQLAlchemy."""
    ids = OrderedIds()
    driver = sqlite_driver(session)
    if driver is not None:
        _SQLITE_INSERTS[ref.column].insert(driver, [
            (ids.next_hex(), event.type.value, event.node, json.dumps(event.payload()),
             sqlite_time(at)) for event, at in stamped], fixed=(ref.id.hex,))
        return
    session.execute(insert(cast(Table, RunEvent.__table__)), [
        {"id": ids.next_uuid(), ref.column: ref.id, "event_type": event.type.value,
         "node_id": event.node, "payload": event.payload(), "occurred_at": at}
        for event, at in stamped])


_SQLITE_INSERTS = {column: SqliteRows("run_events", (
    "id", "event_type", "node_id", "payload", "occurred_at"), fixed=(column,))
    for column in WORKFLOW_COLUMNS.values()}


def _only_counts(event: Event) -> bool:
    """Whether ``event`` only counts on its node (and wakes it when idle): most of a crawl's."""
    return event.node is not None and not isinstance(event, (Failure, Handoff)) \
        and not status_of(event)


class _Counts:
    """The plain events of a batch, counted per node and applied at once: what ``_advance`` does
    with each of them, in one attribute write per node instead of two per event (a crawl writes
    thousands per flush, and each write to a mapped attribute costs microseconds)."""

    def __init__(self, rows: dict[str, WorkflowNodeState]) -> None:
        self._rows = rows
        self._events: dict[str, int] = {}
        self._last: dict[str, datetime] = {}

    def add(self, node: str, at: datetime) -> None:
        if node not in self._events:
            self._events[node] = 0
            row = self._rows[node]
            if row.state == NodeState.IDLE:  # woken by its first event, as _advance does
                _move(row, NodeState.ACTIVE, at)
        self._events[node] += 1
        self._last[node] = at

    def apply(self) -> None:
        for node, events in self._events.items():
            row = self._rows[node]
            row.events += events
            row.updated_at = self._last[node]
        self._events.clear()
        self._last.clear()


def _check(workflow: Workflow, event: Event) -> None:
    if EVENTS.get(getattr(event, "type", None)) is not type(event):  # type: ignore[arg-type]
        raise TypeError(f"{type(event).__name__} is not a registered event class")
    if event.node is not None and event.node not in workflow.node_ids:
        raise ValueError(f"a {workflow.kind} has no node {event.node!r} "
                         f"(its nodes: {', '.join(workflow.node_ids)})")


def _node_rows(session: Session, ref: WorkflowRef, at: datetime) -> dict[str, WorkflowNodeState]:
    """The workflow's node rows, locked for this transaction; created idle when missing."""
    column = getattr(WorkflowNodeState, ref.column)

    def load() -> dict[str, WorkflowNodeState]:
        return {row.node_id: row for row in session.scalars(
            select(WorkflowNodeState).where(column == ref.id).with_for_update())}

    rows = load()
    missing = [n for n in ref.workflow.nodes if n.id not in rows]
    if missing:
        try:
            with session.begin_nested():  # another transaction may create them first
                for node in missing:
                    row = WorkflowNodeState(node_id=node.id, node_type=node.type.value,
                                            state=NodeState.IDLE.value, events=0, failures=0,
                                            updated_at=at, **{ref.column: ref.id})
                    session.add(row)
                    rows[node.id] = row
                session.flush()
        except IntegrityError:
            rows = load()
            if len(rows) < len(ref.workflow.nodes):
                raise
    return rows


def _move(row: WorkflowNodeState, state: NodeState, at: datetime,
          iteration: int | None = None) -> None:
    """A node into ``state`` at ``at`` (started then, when it becomes active the first time)."""
    row.state, row.updated_at = state.value, at
    if state is NodeState.ACTIVE and row.started_at is None:
        row.started_at = at
    if iteration is not None:
        row.active_iteration = iteration


def _advance(workflow: Workflow, rows: dict[str, WorkflowNodeState], event: Event,
             at: datetime) -> None:
    """Apply one event to the node rows (the rules are in ``core.timeline.workflows``)."""

    def move(row: WorkflowNodeState, state: NodeState, iteration: int | None = None) -> None:
        _move(row, state, at, iteration)

    failure = isinstance(event, Failure)
    error = (event.error or event.reason) if isinstance(event, Failure) else None
    status = status_of(event)
    if event.node is not None:
        row = rows[event.node]
        row.events += 1
        row.updated_at = at
        if failure and not status:
            row.failures += 1
            row.last_error = error
        if row.state == NodeState.IDLE:
            move(row, NodeState.ACTIVE)
    if isinstance(event, Handoff) and event.target == HandoffTarget.WORKER \
            and event.request is None:  # a claim
        if workflow.on_claim:
            for node_id, state in workflow.on_claim.items():
                move(rows[node_id], state)
        else:
            for row in rows.values():
                if row.state == NodeState.WAITING:
                    move(row, NodeState.ACTIVE)
    if not status:
        return
    changes = workflow.on_status.get(status, {})
    outcome = workflow.ends.get(status, NodeState.COMPLETED)
    for row in [r for r in rows.values() if r.state in AT_WORK]:
        if failure:
            row.failures += 1
            row.last_error = error
        if row.node_id not in changes:
            move(row, outcome)
    if failure and event.node is not None:
        rows[event.node].last_error = error
        move(rows[event.node], NodeState.FAILED)
    iteration = getattr(event, "iteration", None)
    for node_id, state in changes.items():
        move(rows[node_id], state, iteration)
