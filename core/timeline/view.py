"""What a workflow view shows, shaped for a page: the graph (nodes with their state, counts,
iteration, error and cost share; DOT to draw it, a loop once or unrolled), the timeline (one bar
per node activation, retry and failure) and the event log as sentences.

Node states are read as the writer keeps them (``workflow_node_states``); the timeline replays
the workflow's status events through the same rules (``core.timeline.writer``) to know when each
node was at work. Costs come from the ledger's public totals; a node's share is of the priced
cost, or — while prices are missing — of the credits its quantities are worth.

    view = workflow_view(session, actor, WorkflowRef.run(run_id))
    view.dot(unroll=False), view.bars, log_page(session, actor, ref, node="extract")
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from core import ledger
from core.platform.access import Actor
from core.platform.errors import NotFound, ValidationError
from core.platform.records import get_readable, parse_id
from core.timeline.events import Event, from_row, status_of
from core.timeline.graph import STATE_STYLE, Graph, _quote, loop_label
from core.timeline.reader import NodeStatus, node_states
from core.timeline.workflows import Edge, WorkflowRef
from core.timeline.writer import _advance
from db.models.costs import COST_UNITS, CostKind
from db.models.events import EventType, NodeState, NodeType, RunEvent, WorkflowKind
from db.types import utcnow
from vocabularies import BuildStatus, WorkStatus

AT_WORK = (NodeState.ACTIVE, NodeState.WAITING)
LOG_PAGE = 100
MAX_MARKS = 300  # retry and failure bars drawn at most (the newest)


class Outcome(enum.StrEnum):
    """What an event or a bar came to (the log's and the timeline's colours). An event is ok,
    a retry, a failure or an invalid item (``OUTCOMES``, the log's filter); a node's bar on the
    timeline is completed, failed, or — still open — active or waiting."""

    OK = "ok"
    RETRY = "retry"
    FAILED = "failed"
    INVALID = "invalid"
    COMPLETED = "completed"
    ACTIVE = "active"
    WAITING = "waiting"


OUTCOMES = (Outcome.OK, Outcome.RETRY, Outcome.FAILED, Outcome.INVALID)
OUTCOME_TYPES = {Outcome.OK: (EventType.PAGE_FETCHED, EventType.STATE_TRANSITION,
                              EventType.HANDOFF, EventType.COMPLETION, EventType.STEP_RESULT),
                 Outcome.RETRY: (EventType.RETRY,), Outcome.FAILED: (EventType.FAILURE,),
                 Outcome.INVALID: (EventType.VALIDATION_RESULT,)}
OUTCOME_COLOURS = {Outcome.OK: "#2f9e44", Outcome.COMPLETED: "#2f9e44",
                   Outcome.RETRY: "#f08c00", Outcome.FAILED: "#e03131",
                   Outcome.INVALID: "#ae3ec9", Outcome.ACTIVE: "#1c7ed6",
                   Outcome.WAITING: "#fab005"}

# Which node each kind of cost is spent at (the first node of that type in the workflow).
COST_NODE_TYPES = {CostKind.REQUESTS: (NodeType.FETCH, NodeType.EXTRACT),
                   CostKind.BYTES_FETCHED: (NodeType.FETCH, NodeType.EXTRACT),
                   CostKind.RENDERS: (NodeType.RENDER, NodeType.FETCH, NodeType.EXTRACT),
                   CostKind.BROWSER_SECONDS: (NodeType.RENDER, NodeType.FETCH, NodeType.EXTRACT),
                   CostKind.LLM_INPUT_TOKENS: (NodeType.ANALYSE, NodeType.EXTRACT),
                   CostKind.LLM_OUTPUT_TOKENS: (NodeType.ANALYSE, NodeType.EXTRACT)}
# The model calls of a build are its proposals and feedback rounds.
COST_NODE_OVERRIDES = {(WorkflowKind.BUILD, CostKind.LLM_INPUT_TOKENS): "propose",
                       (WorkflowKind.BUILD, CostKind.LLM_OUTPUT_TOKENS): "propose",
                       (WorkflowKind.BUILD, CostKind.REQUESTS): "sample",
                       (WorkflowKind.BUILD, CostKind.BYTES_FETCHED): "sample",
                       (WorkflowKind.BUILD, CostKind.RENDERS): "sample",
                       (WorkflowKind.BUILD, CostKind.BROWSER_SECONDS): "sample"}


def _models() -> dict[WorkflowKind, Any]:
    from db.models import Build, Run, SeoCrawl, SeoReport

    return {WorkflowKind.RUN: Run, WorkflowKind.BUILD: Build, WorkflowKind.CRAWL: SeoCrawl,
            WorkflowKind.AUDIT: SeoReport}


def readable(session: Session, actor: Actor, ref: WorkflowRef) -> Any:
    """The workflow's own row, if the actor may read it (else ``NotFound``). Kinds whose rows
    have no owner of their own (an advisor's provider run) are read through their own module."""
    model = _models().get(ref.kind)
    if model is None:
        name = ref.kind.value.replace("_", " ")
        article = "An" if name[0] in "aeiou" else "A"
        raise NotFound(f"{article} {name} workflow has no view here yet.")
    return get_readable(session, model, ref.id, actor, ref.kind.value.capitalize())


def workflow_graph(session: Session, actor: Actor, kind: WorkflowKind | str,
                   workflow_id: uuid.UUID | str) -> Graph:
    """``core.timeline.graph`` of a workflow the actor may read (the CLI's ``… graph``)."""
    ref = ref_for(kind, workflow_id)
    readable(session, actor, ref)
    return graph(session, ref)


# --- Dataclasses ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Spend:
    kind: CostKind
    quantity: Decimal
    cost_usd: Decimal | None  # None: some of it had no price

    def text(self) -> str:
        unit = "" if self.kind is CostKind.BYTES_FETCHED else f" {COST_UNITS[self.kind]}"
        amount = _amount(self.kind, self.quantity)
        return f"{amount}{unit}" + (f" ({ledger.usd_short(self.cost_usd)})" if self.cost_usd else "")


@dataclass(frozen=True)
class NodeView:
    id: str
    label: str
    type: NodeType
    state: NodeState
    iteration: int | None
    events: int
    failures: int
    error: str | None
    counts: dict[str, int]  # "pages", "items", "invalid", "retries"…: only those seen
    seconds: float | None  # first active to last change
    spend: tuple[Spend, ...] = ()
    share: float | None = None  # of the workflow's cost (priced) or credits (while unpriced)

    def count_text(self) -> str:
        names = {"pages": ("page", "pages"), "items": ("item", "items"),
                 "invalid": ("invalid", "invalid"), "retries": ("retry", "retries"),
                 "failed": ("failed", "failed"), "stored": ("stored", "stored"),
                 "repeated": ("already stored", "already stored"),
                 "findings": ("finding", "findings"), "failing": ("failing", "failing")}
        return " · ".join(f"{n:,} {names[k][n != 1]}" for k, n in self.counts.items() if n)


@dataclass(frozen=True)
class Bar:
    """One bar of the timeline: a node at work (an activation), one retry or one failure."""

    node: str
    label: str
    start: datetime
    end: datetime
    outcome: Outcome
    text: str = ""
    iteration: int | None = None


@dataclass(frozen=True)
class LogLine:
    at: datetime
    offset_s: float  # since the workflow's first event: the timeline's axis
    node: str  # the node's label ("" for the workflow)
    type: EventType
    outcome: Outcome
    sentence: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class WorkflowView:
    ref: WorkflowRef
    active: bool  # something is at work or waiting: the page keeps refreshing
    nodes: list[NodeView]
    edges: tuple[Edge, ...]
    bars: list[Bar]
    started: datetime | None
    total_cost_usd: Decimal | None  # None: nothing priced
    unpriced: bool  # some of the quantities had no price
    loop_iterations: int = 0

    def node(self, node_id: str) -> NodeView:
        return next(n for n in self.nodes if n.id == node_id)

    def dot(self, unroll: bool = False, selected: str | None = None) -> str:
        return to_dot(self, unroll=unroll, selected=selected)


# --- Building the view ---------------------------------------------------------------------------

def workflow_view(session: Session, actor: Actor, ref: WorkflowRef,
                  now: datetime | None = None) -> WorkflowView:
    readable(session, actor, ref)
    return build_view(session, ref, now)


def build_view(session: Session, ref: WorkflowRef, now: datetime | None = None) -> WorkflowView:
    """The view without the access check (the caller has done it)."""
    now = now or utcnow()
    column = getattr(RunEvent, ref.column)
    workflow = ref.workflow
    counts = _counts(session, ref)
    spend, total, unpriced = _spend(session, ref)
    credit_total = sum((ledger.credits_for({s.kind: s.quantity for s in sp})
                        for sp in spend.values()), Decimal(0))
    nodes = []
    statuses = node_states(session, ref)
    for status in statuses:
        node_spend = tuple(spend.get(status.node.id, ()))
        share = None
        if total and not unpriced:
            share = float(sum((s.cost_usd or 0 for s in node_spend), Decimal(0)) / total)
        elif credit_total:
            share = float(ledger.credits_for({s.kind: s.quantity for s in node_spend})
                          / credit_total)
        nodes.append(_node_view(status, counts[status.node.id], now, node_spend, share))
    bars, started, now_status = _bars(session, ref, now, statuses)
    loops = _loop_iterations(workflow.edges, nodes)
    # A workflow waiting on a person (a build's feedback) is not at work: nothing changes until
    # they act, and their action reruns the page anyway. Waiting for a worker is at work.
    active = any(n.state is NodeState.ACTIVE for n in nodes) or (
        any(n.state is NodeState.WAITING for n in nodes)
        and now_status not in workflow.waits_on_person)
    return WorkflowView(ref, active, nodes, workflow.edges, bars, started,
                        total if total else None, unpriced, loops)


def _node_view(status: NodeStatus, counts: dict[str, int], now: datetime,
               spend: tuple[Spend, ...] = (), share: float | None = None) -> NodeView:
    # A step at work has been at it until now, not until its last change.
    until = now if status.state is NodeState.ACTIVE else status.updated_at
    seconds = ((until - status.started_at).total_seconds()
               if status.started_at and until else None)
    return NodeView(status.node.id, status.node.label, status.node.type, status.state,
                    status.active_iteration, status.events, status.failures, status.last_error,
                    counts, seconds, spend, share)


def _loop_iterations(edges: Sequence[Edge], nodes: Sequence[NodeView]) -> int:
    return max((n.iteration or 0 for n in nodes
                if any(e.loop and e.target == n.id for e in edges)), default=0)


def graph(session: Session, ref: WorkflowRef) -> Graph:
    """The workflow's declared topology with its node states now, its counts, and its DOT
    drawn as the workflow panel draws it (check access first: this reads any workflow it is
    given)."""
    view = build_view(session, ref)
    return Graph(ref.kind, ref.id, node_states(session, ref), ref.workflow.edges, view.dot(),
                 {n.id: n.counts for n in view.nodes})


# What each type of event at a node counts, and in which of its payload's numbers.
_COUNTED = {EventType.PAGE_FETCHED: (("pages", None),),
            EventType.RETRY: (("retries", "retries"),),
            EventType.VALIDATION_RESULT: (("invalid events", None),),
            EventType.FAILURE: (("failed", None),),
            EventType.STEP_RESULT: tuple((k, k) for k in (
                "pages", "items", "stored", "repeated", "invalid", "findings", "failing"))}


def _counts(session: Session, ref: WorkflowRef) -> dict[str, dict[str, int]]:
    """Per node, what its events count: pages fetched, items, invalid items, retries (each
    retry event says how many it was), failures; a step's results (items, rows stored,
    findings)."""
    workflow = ref.workflow
    column = getattr(RunEvent, ref.column)
    counts: dict[str, dict[str, int]] = {n.id: {} for n in workflow.nodes}
    # Only the types that carry a number have it read (the JSON of every other row is left).
    type_ = RunEvent.event_type
    steps = type_ == EventType.STEP_RESULT.value
    numbers = {k: func.sum(case((steps, RunEvent.payload[k].as_integer())))
               for k in ("pages", "stored", "repeated", "invalid", "findings", "failing")}
    numbers["items"] = func.sum(case((type_.in_([EventType.STEP_RESULT.value,
                                                EventType.PAGE_FETCHED.value]),
                                      RunEvent.payload["items"].as_integer())))
    retries = func.sum(case((type_ == EventType.RETRY.value,
                             func.coalesce(RunEvent.payload["retries"].as_integer(), 1))))
    fetched_items: dict[str, int] = {}
    for row in session.execute(
            select(RunEvent.node_id, RunEvent.event_type, func.count().label("n"),
                   retries.label("retries"), *(v.label(k) for k, v in numbers.items()))
            .where(column == ref.id, RunEvent.node_id.is_not(None))
            .group_by(RunEvent.node_id, RunEvent.event_type)):
        got = row._mapping
        node, kind = got["node_id"], EventType(got["event_type"])
        if node not in counts:
            continue
        for key, number in _COUNTED.get(kind, ()):
            value = int(got["n"] if number is None else got[number] or 0)
            if value:
                counts[node][key] = counts[node].get(key, 0) + value
        if kind is EventType.PAGE_FETCHED and got["items"]:
            fetched_items[node] = fetched_items.get(node, 0) + int(got["items"])
    # Items found on fetched pages are the extract step's, unless it says so itself (a run
    # recorded before the extract step wrote its own results).
    extract = next((n.id for n in workflow.nodes if n.type is NodeType.EXTRACT), None)
    for node, items in fetched_items.items():
        target = extract if extract is not None else node
        if "items" not in counts[target]:
            counts[target]["items"] = items
        elif target == node:
            counts[target]["items"] += items
    # Invalid items: a step's own count says them all; one event each stops at a cap
    # (MAX_INVALID_ITEM_EVENTS), so the events count only where there is nothing better — a
    # run recorded before its validate step wrote its counts, whose total is in its meta.
    for node_counts in counts.values():
        events = node_counts.pop("invalid events", 0)
        if events and "invalid" not in node_counts:
            node_counts["invalid"] = events
    if ref.kind is WorkflowKind.RUN:
        from db.models import Run

        meta = session.scalar(select(Run.meta).where(Run.id == ref.id)) or {}
        validate = next((n.id for n in workflow.nodes if n.type is NodeType.VALIDATE), None)
        if validate is not None and int(meta.get("items_invalid") or 0) > \
                counts[validate].get("invalid", 0):
            counts[validate]["invalid"] = int(meta["items_invalid"])
    return counts


def _spend(session: Session, ref: WorkflowRef
           ) -> tuple[dict[str, list[Spend]], Decimal, bool]:
    """The ledger's totals for the workflow, each put on the node that spent it."""
    scope = {WorkflowKind.RUN: ledger.Scope(run_id=ref.id),
             WorkflowKind.BUILD: ledger.Scope(build_id=ref.id),
             WorkflowKind.CRAWL: ledger.Scope(crawl_id=ref.id),
             WorkflowKind.AUDIT: ledger.Scope(report_id=ref.id)}.get(ref.kind)
    found: dict[str, list[Spend]] = {}
    total, unpriced = Decimal(0), False
    if scope is None:  # a kind of workflow the ledger has no scope for
        return found, total, unpriced
    workflow = ref.workflow
    for t in ledger.totals(session, scope):
        node = COST_NODE_OVERRIDES.get((ref.kind, t.kind)) or next(
            (n.id for kind in COST_NODE_TYPES.get(t.kind, ()) for n in workflow.nodes
             if n.type is kind), workflow.nodes[0].id)
        found.setdefault(node, []).append(
            Spend(t.kind, t.quantity, t.cost_usd if t.priced else None))
        total += t.cost_usd
        unpriced = unpriced or not t.priced
    return found, total, unpriced


class _Row(SimpleNamespace):
    """A node's state while replaying (the writer's rules move it like a stored row)."""


def _bars(session: Session, ref: WorkflowRef, now: datetime, statuses: list[NodeStatus]
          ) -> tuple[list[Bar], datetime | None, str | None]:
    """Replay the events through the writer's rules: a bar each time a node is at work (active
    or waiting) until it leaves that state, plus the newest retries and failures; also the
    workflow's status now (the last one an event moved it to)."""
    workflow = ref.workflow
    column = getattr(RunEvent, ref.column)
    labels = {n.id: n.label for n in workflow.nodes}
    rows = {n.id: _Row(node_id=n.id, state=NodeState.IDLE.value, events=0, failures=0,
                       last_error=None, started_at=None, updated_at=None, active_iteration=None)
            for n in workflow.nodes}
    # A node's first event at it makes it active when it was idle: that is when its state row
    # says it started (``started_at``), so the events at nodes need not be read again. Only
    # the events that move the workflow's status are replayed in full.
    firsts: list[tuple[datetime, Event]] = [
        (status.started_at, from_row(EventType.PAGE_FETCHED.value, status.node.id, {"url": ""},
                                     status.started_at))
        for status in statuses if status.started_at is not None]
    moving = or_(RunEvent.event_type.in_([EventType.STATE_TRANSITION.value,
                                          EventType.HANDOFF.value, EventType.COMPLETION.value]),
                 and_(RunEvent.event_type == EventType.FAILURE.value,
                      RunEvent.payload["to"].as_string().is_not(None)))
    moves: list[tuple[datetime, Event]] = [
        (at, from_row(kind, node, payload, at)) for kind, node, payload, at in
        session.execute(select(RunEvent.event_type, RunEvent.node_id, RunEvent.payload,
                               RunEvent.occurred_at).where(column == ref.id, moving))]
    moves = sorted(moves + firsts, key=lambda m: m[0])  # stable: a status first at a tie
    bars: list[Bar] = []
    open_since: dict[str, tuple[datetime, str, int | None]] = {}
    status: str | None = None
    for at, event in moves:
        status = status_of(event) or status
        before = {k: (r.state, r.active_iteration) for k, r in rows.items()}
        _advance(workflow, rows, event, at)  # type: ignore[arg-type]
        for node_id, row in rows.items():
            state, iteration = NodeState(row.state), row.active_iteration
            if (state.value, iteration) == before[node_id]:
                continue
            if node_id in open_since:
                start, was, it = open_since.pop(node_id)
                bars.append(Bar(node_id, labels[node_id], start, at,
                                _bar_outcome(was, state), _bar_text(was, state, it), it))
            if state in AT_WORK:
                open_since[node_id] = (at, state.value, iteration)
    for node_id, (start, was, it) in open_since.items():
        bars.append(Bar(node_id, labels[node_id], start, max(now, start), Outcome(was),
                        f"{was} now", it))
    started = min((at for at, _ in moves), default=None)  # the first event: the log's zero
    marks = session.execute(
        select(RunEvent.event_type, RunEvent.node_id, RunEvent.payload, RunEvent.occurred_at)
        .where(column == ref.id, RunEvent.node_id.is_not(None),
               RunEvent.event_type.in_([EventType.RETRY.value, EventType.FAILURE.value]))
        .order_by(RunEvent.occurred_at.desc()).limit(MAX_MARKS)).all()
    for kind, node, payload, at in marks:
        event = from_row(kind, node, payload, at)
        if node not in labels or status_of(event):
            continue
        outcome = Outcome.RETRY if kind == EventType.RETRY else Outcome.FAILED
        bars.append(Bar(node, labels[node], at - timedelta(milliseconds=300), at, outcome,
                        sentence(event, labels)))
    return bars, started, status


def node_bars(session: Session, actor: Actor, ref: WorkflowRef, node: str,
              limit: int = MAX_MARKS) -> list[Bar]:
    """The node's newest ``limit`` events as bars (a page from when its fetch began, by its
    ``seconds``, to when it was recorded): what a selected step did, one bar each."""
    readable(session, actor, ref)
    column = getattr(RunEvent, ref.column)
    label = next((n.label for n in ref.workflow.nodes if n.id == node), node)
    labels = {n.id: n.label for n in ref.workflow.nodes}
    found = []
    for kind, payload, at in session.execute(
            select(RunEvent.event_type, RunEvent.payload, RunEvent.occurred_at)
            .where(column == ref.id, RunEvent.node_id == node)
            .order_by(RunEvent.occurred_at.desc()).limit(limit)):
        event = from_row(kind, node, payload, at)
        seconds = float(getattr(event, "seconds", None) or 0.3)
        found.append(Bar(node, label, at - timedelta(seconds=seconds), at, outcome_of(event),
                         sentence(event, labels)))
    return found


def _bar_outcome(was: str, now_state: NodeState) -> Outcome:
    if now_state is NodeState.FAILED:
        return Outcome.FAILED
    if now_state is NodeState.COMPLETED or now_state in AT_WORK:
        return Outcome.COMPLETED if was == NodeState.ACTIVE else Outcome.WAITING
    return Outcome.COMPLETED


def _bar_text(was: str, now_state: NodeState, iteration: int | None) -> str:
    return f"{was} → {now_state.value}" + (f" (iteration {iteration})" if iteration else "")


# --- Timeline helpers ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Axis:
    """Bars placed on a seconds axis, long idle gaps squeezed to ``gap`` seconds each."""

    bars: list[tuple[Bar, float, float]]  # bar, start s, end s
    squeezed: list[tuple[float, float]] = field(default_factory=list)  # where, seconds cut

    def at(self, when: datetime, origin: datetime) -> float:
        return self._map((when - origin).total_seconds())

    def _map(self, seconds: float) -> float:
        return seconds - sum(cut for where, cut in self.squeezed if where < seconds)


def place(bars: Sequence[Bar], *, compress: bool = False, hide_completed: bool = False,
          node: str | None = None, gap: float = 2.0, origin: datetime | None = None) -> Axis:
    """The bars to draw, on seconds since ``origin`` (the workflow's start, as in the log;
    default: the first bar); with ``compress`` every stretch where no bar runs longer than
    ``gap`` seconds is cut to ``gap``. Nothing is drawn before 0: a failure is a short bar
    ending when it was recorded, and a page's fetch began before its event was, so either can
    reach back past the workflow's first event."""
    chosen = [b for b in bars if (node is None or b.node == node)
              and not (hide_completed and b.outcome is Outcome.COMPLETED)]
    if not chosen:
        return Axis([])
    origin = origin or min(b.start for b in chosen)
    spans = sorted(((b.start - origin).total_seconds(), (b.end - origin).total_seconds())
                   for b in chosen)
    squeezed: list[tuple[float, float]] = []
    if compress:
        if spans[0][0] > gap:  # before the first bar
            squeezed.append((0.0, spans[0][0] - gap))
        reach = spans[0][1]
        for start, end in spans[1:]:
            if start - reach > gap:
                squeezed.append((reach, start - reach - gap))
            reach = max(reach, end)
    axis = Axis([], squeezed)
    placed = [(b, max(axis.at(b.start, origin), 0.0), max(axis.at(b.end, origin), 0.0))
              for b in chosen]
    return Axis(placed, squeezed)


# --- The log ---------------------------------------------------------------------------------------

def log_page(session: Session, actor: Actor, ref: WorkflowRef, *, node: str | None = None,
             types: Sequence[EventType] = (), outcomes: Sequence[Outcome] = (), page: int = 0,
             origin: datetime | None = None) -> list[LogLine]:
    readable(session, actor, ref)
    return log_lines(session, ref, node=node, types=types, outcomes=outcomes, page=page,
                     origin=origin)


def log_lines(session: Session, ref: WorkflowRef, *, node: str | None = None,
              types: Sequence[EventType] = (), outcomes: Sequence[Outcome] = (), page: int = 0,
              origin: datetime | None = None) -> list[LogLine]:
    """One page of the log (newest first) as sentences with names, filtered by node, event
    type and outcome."""
    column = getattr(RunEvent, ref.column)
    query = (select(RunEvent.event_type, RunEvent.node_id, RunEvent.payload,
                    RunEvent.occurred_at).where(column == ref.id))
    if node is not None:
        query = query.where(RunEvent.node_id == node)
    allowed = {t.value for t in types} if types else {t.value for t in EventType}
    if outcomes:
        allowed &= {t.value for o in outcomes for t in OUTCOME_TYPES.get(o, ())}
    if allowed != {t.value for t in EventType}:
        query = query.where(RunEvent.event_type.in_(sorted(allowed)))
    query = query.order_by(RunEvent.occurred_at.desc()).limit(LOG_PAGE).offset(page * LOG_PAGE)
    labels = {n.id: n.label for n in ref.workflow.nodes}
    if origin is None:
        origin = session.scalar(select(func.min(RunEvent.occurred_at)).where(column == ref.id))
    lines = []
    for kind, node_id, payload, at in session.execute(query):
        event = from_row(kind, node_id, payload, at)
        lines.append(LogLine(at, (at - origin).total_seconds() if origin else 0.0,
                             labels.get(node_id or "", node_id or ""), event.type,
                             outcome_of(event), sentence(event, labels), event.payload()))
    return lines


def outcome_of(event: Event) -> Outcome:
    for outcome, kinds in OUTCOME_TYPES.items():
        if event.type in kinds:
            return outcome
    return Outcome.OK


def _size(n: int | None) -> str:
    if n is None:
        return ""
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


def _amount(kind: CostKind, quantity: Decimal) -> str:
    if kind is CostKind.BYTES_FETCHED:
        return _size(int(quantity))
    value = float(quantity)
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def sentence(event: Event, labels: dict[str, str] | None = None) -> str:
    """The event said in words, with names (a URL, a user's email, a node's label)."""
    p = event.payload()
    labels = labels or {}
    where = labels.get(event.node or "", "")
    t = event.type
    if t is EventType.PAGE_FETCHED:
        verb = "Rendered" if p.get("rendered") else "Fetched"
        facts = [str(p["status"]) if p.get("status") is not None else "",
                 _size(p.get("bytes")),
                 f"{p['seconds'] * 1000:.0f} ms" if p.get("seconds") is not None else ""]
        facts = [f for f in facts if f]
        text = f"{verb} {p.get('url', '')}" + (f" ({', '.join(facts)})" if facts else "")
        if p.get("items") is not None:
            text += f": {p['items']} items"
        if p.get("detail"):
            text += " (detail page)"
        return text
    if t is EventType.RETRY:
        after = (f" after {p['status']}" if p.get("status")
                 else f" ({p['cause']})" if p.get("cause") else "")
        tries = int(p.get("retries") or 1)
        bound = f" of {p['max_retries'] + 1}" if p.get("max_retries") is not None else ""
        return f"Retried {p.get('url', '')}{after}, attempt {tries + 1}{bound}"
    if t is EventType.VALIDATION_RESULT:
        violations = p.get("violations") or []
        more = f" (+{len(violations) - 1} more)" if len(violations) > 1 else ""
        first = f": {violations[0]}" if violations else ""
        return f"An item from {p.get('url', '')} broke the schema{first}{more}"
    if t is EventType.FAILURE:
        error = p.get("error") or p.get("reason") or "no reason given"
        if p.get("to"):
            return f"The workflow went to {p['to']}: {error}"
        subject = p.get("url") or where or "A step"
        status = f" ({p['status']})" if p.get("status") else ""
        return f"{subject} failed{status}: {error}"
    if t is EventType.STATE_TRANSITION:
        text = f"Status → {status_words(str(p.get('to', '')))}"
        if p.get("iteration"):
            text += f" (iteration {p['iteration']})"
        if p.get("trigger"):
            text += f" ({p['trigger']})"
        return text + (f", by {p['by']}" if p.get("by") else "")
    if t is EventType.HANDOFF:
        target = p.get("target", "")
        if p.get("request") == "cancel":
            return f"Cancel requested by {p.get('by') or 'a user'}"
        if target == "worker":
            return f"Claimed by worker {p.get('worker') or ''}".rstrip()
        who = f" by {p['by']}" if p.get("by") else ""
        return f"Handed to the {str(target).replace('_', ' ')}{who}" + (
            f" at {where}" if where else "")
    if t is EventType.COMPLETION:
        return f"Ended: {status_words(str(p.get('to', '')))}"
    if t is EventType.STEP_RESULT:
        return _step_sentence(p, where)
    return f"{t.value} {p}"


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else many or one + 's'}"


def _step_sentence(p: dict[str, Any], where: str) -> str:
    """A step's result in words: "Extract: 37 items from 12 pages", "Store: 35 stored,
    2 already stored", "Run the checks: 4 failing", "Score: 87/100"."""
    parts = []
    if p.get("items") is not None and p.get("pages") is not None:
        parts.append(f"{_count(p['items'], 'item')} from {_count(p['pages'], 'page')}")
    elif p.get("pages") is not None:
        parts.append(_count(p["pages"], "page"))
    elif p.get("items") is not None:
        parts.append(_count(p["items"], "item"))
    if p.get("stored") is not None:
        parts.append(f"{p['stored']:,} stored")
    if p.get("repeated"):
        parts.append(f"{p['repeated']:,} already stored")
    if p.get("invalid") is not None:
        parts.append(f"{_count(p['invalid'], 'item')} broke the schema")
    if p.get("findings") is not None:
        parts.append(_count(p["findings"], "finding"))
    if p.get("failing") is not None:
        parts.append(f"{p['failing']:,} failing")
    if p.get("score") is not None:
        parts.append(f"{p['score']}/100")
    text = f"{where or 'A step'}: {', '.join(parts) or 'done'}"
    return text + (f" ({p['url']})" if p.get("url") else "")


# The words of the statuses that have them (a run's, a crawl's, an audit's, a build's): the
# enums' own labels, the same the pages show.
_STATUS_WORDS = {status.value: status.label for vocabulary in (WorkStatus, BuildStatus)
                 for status in vocabulary}


def status_words(status: str) -> str:
    """A workflow's stored status as words: "completed_errors" → "completed with errors" (the
    status's label, in a sentence); a status without a label: the value with spaces."""
    words = _STATUS_WORDS.get(status)
    return words[:1].lower() + words[1:] if words else status.replace("_", " ")


# --- DOT ---------------------------------------------------------------------------------------

def _node_label(n: NodeView, iteration: int | None = None) -> str:
    lines = [n.label, n.state.value + (f" · {n.seconds:,.1f} s" if n.seconds else "")]
    if n.count_text():
        lines.append(n.count_text())
    if n.spend:
        lines.append(", ".join(s.text() for s in n.spend))
    if n.share is not None and n.share > 0:
        lines.append(f"{n.share:.0%} of cost")
    if n.error:
        error = n.error if len(n.error) <= 60 else n.error[:57] + "…"
        lines.append(f"✖ {error}")
    return "\n".join(lines)


def _node_line(key: str, label: str, state: NodeState, selected: bool) -> str:
    fill, border, line = STATE_STYLE[state]
    width = ', penwidth=3' if selected else ''
    font = ', fontcolor="#868e96"' if state is NodeState.IDLE else ''
    return (f"  {_quote(key)} [label={_quote(label)}, fillcolor={_quote(fill)}, "
            f"color={_quote(border)}, style={_quote('rounded,filled,' + line)}{width}{font}];")


def to_dot(view: WorkflowView, *, unroll: bool = False, selected: str | None = None) -> str:
    """The graph in Graphviz DOT: a loop drawn once with its counter ("feedback ↻ 2"), or with
    ``unroll`` its nodes repeated once per iteration."""
    lines = [f"digraph {_quote(f'{view.ref.kind.value} {view.ref.id}')} {{", "  rankdir=TB;",
             '  bgcolor="transparent";',
             "  nodesep=0.25; ranksep=0.3;",
             '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=12, '
             'margin="0.2,0.1"];',
             '  edge [fontname="Helvetica", fontsize=11, color="#868e96"];']
    loops = [e for e in view.edges if e.loop]
    rounds = view.loop_iterations if unroll and loops else 0
    repeated: set[str] = set()
    if rounds > 1:
        ids = [n.id for n in view.nodes]
        for loop in loops:
            repeated.update(ids[ids.index(loop.target):ids.index(loop.source) + 1])
    for n in view.nodes:
        if n.id in repeated:
            for i in range(1, rounds + 1):
                state = n.state if i == rounds else NodeState.COMPLETED
                label = _node_label(replace(n, state=state), i).split("\n")
                label[0] += f" #{i}"
                if i < rounds:  # an earlier round: done (its own figures are in the timeline)
                    label = [label[0], NodeState.COMPLETED.value]
                lines.append(_node_line(f"{n.id}#{i}", "\n".join(label), state,
                                        n.id == selected))
        else:
            lines.append(_node_line(n.id, _node_label(n), n.state, n.id == selected))
    for e in view.edges:
        if e.loop:
            if rounds > 1:
                for i in range(1, rounds):
                    lines.append(f"  {_quote(f'{e.source}#{i}')} -> "
                                 f"{_quote(f'{e.target}#{i + 1}')} [label={_quote(e.label)}];")
                continue
            counter = loop_label(e, view.node(e.target).iteration,
                                 view.ref.workflow.loop_bound)
            lines.append(f"  {_quote(e.source)} -> {_quote(e.target)} [label="
                         f"{_quote(counter)}, constraint=false, "
                         'style=dashed, color="#7048e8", fontcolor="#7048e8"];')
            continue
        sources = [f"{e.source}#{i}" for i in range(1, rounds + 1)][-1:] \
            if e.source in repeated else [e.source]
        targets = [f"{e.target}#1"] if e.target in repeated else [e.target]
        if e.source in repeated and e.target in repeated:  # inside one round
            for i in range(1, rounds + 1):
                lines.append(f"  {_quote(f'{e.source}#{i}')} -> {_quote(f'{e.target}#{i}')};")
            continue
        for s in sources:
            for t in targets:
                planned = view.node(e.target).state is NodeState.IDLE
                lines.append(f"  {_quote(s)} -> {_quote(t)}"
                             + (" [style=dashed];" if planned else ";"))
    lines.append("}")
    return "\n".join(lines)


# --- Comparing two workflows -----------------------------------------------------------------------

@dataclass(frozen=True)
class NodeComparison:
    node: str
    label: str
    state: tuple[str, str]
    seconds: tuple[float | None, float | None]
    events: tuple[int, int]
    failures: tuple[int, int]
    counts: tuple[str, str]
    spend: tuple[str, str]
    share: tuple[float | None, float | None]
    error: tuple[str, str]

    @property
    def differs(self) -> dict[str, bool]:
        return {"state": self.state[0] != self.state[1],
                "seconds": _far(self.seconds), "events": self.events[0] != self.events[1],
                "failures": self.failures[0] != self.failures[1],
                "counts": self.counts[0] != self.counts[1], "spend": self.spend[0] != self.spend[1],
                "error": self.error[0] != self.error[1]}


def _far(pair: tuple[float | None, float | None]) -> bool:
    a, b = pair
    if a is None or b is None:
        return a != b
    return abs(a - b) > max(0.5, 0.2 * max(abs(a), abs(b)))  # 20 % and half a second


def compare(session: Session, actor: Actor, first: WorkflowRef,
            second: WorkflowRef) -> list[NodeComparison]:
    """Node by node, two workflows of one kind side by side (``first`` then ``second``)."""
    if first.kind is not second.kind:
        raise ValidationError("Only two workflows of the same kind can be compared.")
    a, b = workflow_view(session, actor, first), workflow_view(session, actor, second)
    found = []
    for x, y in zip(a.nodes, b.nodes):
        found.append(NodeComparison(
            x.id, x.label, (x.state.value, y.state.value), (x.seconds, y.seconds),
            (x.events, y.events), (x.failures, y.failures), (x.count_text(), y.count_text()),
            (", ".join(s.text() for s in x.spend), ", ".join(s.text() for s in y.spend)),
            (x.share, y.share), (x.error or "", y.error or "")))
    return found


def ref_for(kind: WorkflowKind | str, workflow_id: uuid.UUID | str) -> WorkflowRef:
    key = parse_id(workflow_id)
    if key is None:
        raise NotFound(f"{WorkflowKind(kind).value.capitalize()} not found.")
    return WorkflowRef(WorkflowKind(kind), key)
