"""Every workflow's topology, declared as data: its nodes (in order), its edges (a loop edge
goes back), and how its statuses and claims move its node states. ``WORKFLOWS`` has one per
``WorkflowKind``; a graph view draws ``nodes`` and ``edges`` and colours them with the rows of
``workflow_node_states`` (``core.timeline.reader.node_states``).

How node states move (``core.timeline.writer`` applies it as events are written):

- an event at a node makes an idle node active and counts it (a failure without ``to`` also
  counts as one of the node's failures, with its error);
- a claim (``Handoff`` to a worker) sets ``on_claim``, or, when that is empty, makes the nodes
  that wait active;
- an event that moves the workflow to a status (``to``) first closes the nodes at work (active
  or waiting): completed, or — in a status of ``ends`` — that status's outcome; then it sets the
  states ``on_status`` lists for that status (with the event's iteration, if it has one).
"""

from __future__ import annotations

import functools

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from db.models.advisor import MAX_ITERATION
from db.models.advisor import RunStatus as AdvisorStatus
from db.models.events import WORKFLOW_COLUMNS, NodeState, NodeType, WorkflowKind
from vocabularies import AgentJobStatus, BuildStatus, WorkStatus

A, W, C, F = NodeState.ACTIVE, NodeState.WAITING, NodeState.COMPLETED, NodeState.FAILED


@dataclass(frozen=True)
class Node:
    id: str
    type: NodeType
    label: str


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    loop: bool = False  # goes back: drawn once, with the iteration counter
    label: str = ""


@dataclass(frozen=True)
class Workflow:
    kind: WorkflowKind
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    on_status: Mapping[str, Mapping[str, NodeState]] = field(default_factory=dict)
    on_claim: Mapping[str, NodeState] = field(default_factory=dict)
    ends: Mapping[str, NodeState] = field(default_factory=dict)  # final status → outcome
    # Statuses in which the workflow waits on a person, not on a worker: a view stops polling.
    waits_on_person: frozenset[str] = frozenset()
    # At most this many rounds of its loop ("refine ↻ 2/3"); None: as many as the user wants.
    loop_bound: int | None = None

    @functools.cached_property
    def node_ids(self) -> tuple[str, ...]:  # asked for every event written: computed once
        return tuple(n.id for n in self.nodes)

    def node(self, node_id: str) -> Node:
        return next(n for n in self.nodes if n.id == node_id)


def _chain(*ids: str) -> tuple[Edge, ...]:
    return tuple(Edge(a, b) for a, b in zip(ids, ids[1:]))


_FINISHED: dict[str, NodeState] = {WorkStatus.COMPLETED: C, WorkStatus.COMPLETED_WITH_ERRORS: C,
             WorkStatus.CANCELED: C, WorkStatus.FAILED: F, WorkStatus.STOPPED_BUDGET: C,
             WorkStatus.STOPPED_CAP: C}

RUN = Workflow(
    WorkflowKind.RUN,
    nodes=(Node("fetch", NodeType.FETCH, "Fetch"), Node("render", NodeType.RENDER, "Render"),
           Node("extract", NodeType.EXTRACT, "Extract"),
           Node("validate", NodeType.VALIDATE, "Validate"), Node("store", NodeType.STORE, "Store")),
    edges=_chain("fetch", "render", "extract", "validate", "store"),
    on_status={WorkStatus.QUEUED: {"fetch": W}},
    # The pipeline streams: once a worker has the run, every step works on some page. Render
    # becomes active with its first rendered page (a run without JavaScript never renders).
    on_claim={"fetch": A, "extract": A, "validate": A, "store": A},
    ends=_FINISHED)

BUILD = Workflow(
    WorkflowKind.BUILD,
    nodes=(Node("analyse", NodeType.ANALYSE, "Analyse samples"),
           Node("propose", NodeType.ANALYSE, "Propose fields"),
           Node("sample", NodeType.EXTRACT, "Run on samples"),
           Node("feedback", NodeType.HUMAN, "Feedback"),
           Node("confirm", NodeType.STORE, "Confirm")),
    edges=(*_chain("analyse", "propose", "sample", "feedback", "confirm"),
           Edge("feedback", "sample", loop=True, label="feedback")),
    on_status={BuildStatus.PENDING_ANALYSIS: {"analyse": W},
               BuildStatus.GENERATING_SAMPLES: {"analyse": C, "propose": C, "sample": A},
               BuildStatus.PENDING_USER_FEEDBACK: {"sample": C, "feedback": W},
               BuildStatus.PROCESSING_FEEDBACK: {"feedback": W},
               BuildStatus.CONFIRMED: {"confirm": C}},
    ends={BuildStatus.CONFIRMED: C, BuildStatus.FAILED: F, BuildStatus.STOPPED_BUDGET: C},
    waits_on_person=frozenset({BuildStatus.PENDING_USER_FEEDBACK}))

CRAWL = Workflow(
    WorkflowKind.CRAWL,
    nodes=(Node("fetch", NodeType.FETCH, "Crawl pages"),
           Node("check", NodeType.ANALYSE, "Check each page"),
           Node("findings", NodeType.ANALYSE, "Site-wide findings"),
           Node("store", NodeType.STORE, "Store")),
    edges=_chain("fetch", "check", "findings", "store"),
    on_status={WorkStatus.QUEUED: {"fetch": W},
               WorkStatus.COMPLETED: {"findings": C, "store": C},
               WorkStatus.CANCELED: {"findings": C, "store": C},
               WorkStatus.STOPPED_BUDGET: {"findings": C, "store": C}},
    on_claim={"fetch": A, "check": A},
    ends=_FINISHED)

AUDIT = Workflow(
    WorkflowKind.AUDIT,
    nodes=(Node("fetch", NodeType.FETCH, "Fetch the page"),
           Node("check", NodeType.ANALYSE, "Run the checks"),
           Node("score", NodeType.ANALYSE, "Score"),
           Node("store", NodeType.STORE, "Store the report")),
    edges=_chain("fetch", "check", "score", "store"),
    on_status={WorkStatus.QUEUED: {"fetch": W},
               WorkStatus.COMPLETED: {"score": C, "store": C}},
    on_claim={"fetch": A, "check": A},
    ends={WorkStatus.COMPLETED: C, WorkStatus.FAILED: F})

_GENERATORS = ("compute", "storage", "network", "database")

# One provider run of the architecture advisor (core.advisor): the supervisor hands the query to
# four domain generators, the reducer combines their proposals, the validator checks the result
# with cited evidence, and the optimizer sends feedback to the generators (at most 3 times).
ADVISOR = Workflow(
    WorkflowKind.ADVISOR,
    nodes=(Node("supervisor", NodeType.ANALYSE, "Supervisor"),
           *(Node(d, NodeType.ANALYSE, f"{d.capitalize()} generator") for d in _GENERATORS),
           Node("reducer", NodeType.ANALYSE, "Reducer"),
           Node("validator", NodeType.VALIDATE, "Validator"),
           Node("optimizer", NodeType.ANALYSE, "Optimizer")),
    edges=(*(Edge("supervisor", d) for d in _GENERATORS),
           *(Edge(d, "reducer") for d in _GENERATORS),
           Edge("reducer", "validator"), Edge("validator", "optimizer"),
           *(Edge("optimizer", d, loop=True, label="feedback") for d in _GENERATORS)),
    on_status={AdvisorStatus.QUEUED: {"supervisor": W},
               AdvisorStatus.GENERATING: {"supervisor": C, **{d: A for d in _GENERATORS}},
               AdvisorStatus.VALIDATING: {"reducer": C, "validator": A},
               AdvisorStatus.OPTIMIZING: {"validator": C, "optimizer": A}},
    on_claim={"supervisor": A},
    ends={AdvisorStatus.ACCEPTED: C, AdvisorStatus.STOPPED: F, AdvisorStatus.FAILED: F},
    loop_bound=MAX_ITERATION)

AGENT_JOB = Workflow(
    WorkflowKind.AGENT_JOB,
    nodes=(Node("dispatch", NodeType.ANALYSE, "Dispatch"), Node("call", NodeType.FETCH, "Call"),
           Node("validate", NodeType.VALIDATE, "Validate"),
           Node("accept", NodeType.STORE, "Accept"),
           Node("resubmit", NodeType.ANALYSE, "Re-submit")),
    edges=(*_chain("dispatch", "call", "validate", "accept"), Edge("validate", "resubmit"),
           Edge("resubmit", "call", loop=True, label="re-submit")),
    on_status={AgentJobStatus.PENDING: {"dispatch": W},
               AgentJobStatus.ASSIGNED: {"dispatch": C, "call": W},
               AgentJobStatus.IN_PROGRESS: {"call": A},
               AgentJobStatus.COMPLETED: {"validate": C, "accept": C},
               AgentJobStatus.RESUBMISSION_REQUIRED: {"resubmit": F}},
    on_claim={"call": A},
    # Not accepted: the calls and checks did their part; the re-submit step is what failed.
    ends={AgentJobStatus.COMPLETED: C, AgentJobStatus.RESUBMISSION_REQUIRED: C})

WORKFLOWS: dict[WorkflowKind, Workflow] = {
    w.kind: w for w in (RUN, BUILD, CRAWL, AUDIT, ADVISOR, AGENT_JOB)}


@dataclass(frozen=True)
class WorkflowRef:
    """One workflow instance: ``WorkflowRef.run(run_id)``, ``.build(…)``, ``.crawl(…)``,
    ``.audit(report_id)``."""

    kind: WorkflowKind
    id: uuid.UUID

    @classmethod
    def run(cls, run_id: uuid.UUID) -> WorkflowRef:
        return cls(WorkflowKind.RUN, run_id)

    @classmethod
    def build(cls, build_id: uuid.UUID) -> WorkflowRef:
        return cls(WorkflowKind.BUILD, build_id)

    @classmethod
    def crawl(cls, crawl_id: uuid.UUID) -> WorkflowRef:
        return cls(WorkflowKind.CRAWL, crawl_id)

    @classmethod
    def audit(cls, report_id: uuid.UUID) -> WorkflowRef:
        return cls(WorkflowKind.AUDIT, report_id)

    @classmethod
    def advisor(cls, provider_run_id: uuid.UUID) -> WorkflowRef:
        return cls(WorkflowKind.ADVISOR, provider_run_id)

    @classmethod
    def agent_job(cls, job_id: uuid.UUID) -> WorkflowRef:
        return cls(WorkflowKind.AGENT_JOB, job_id)

    @property
    def column(self) -> str:
        """The column of ``run_events`` and ``workflow_node_states`` that holds the id."""
        return WORKFLOW_COLUMNS[self.kind]

    @property
    def workflow(self) -> Workflow:
        return WORKFLOWS[self.kind]
