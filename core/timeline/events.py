"""The event classes: one per ``EventType``, the payload as fields, registered in ``EVENTS``.

An event is what happened in a workflow, at a node (``node``: one of the workflow's declared
node ids, or None for the workflow as a whole). Fields hold what every event of the type says;
``extra`` holds the details only some say (the knowledge-base entry a build started from, the
operations of a feedback…). ``payload()`` is what is stored; ``from_row`` reads a stored row back,
whatever keys it has (unknown keys land in ``extra``; a missing text field reads as "").
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from db.models.events import EventType

_BASE_FIELDS = ("node", "extra", "at")


class HandoffTarget(enum.StrEnum):
    """Who work is handed to."""

    WORKER = "worker"  # a worker claimed the workflow, or is asked (``request``) to stop
    KNOWLEDGE_BASE = "knowledge_base"  # a build starts from a confirmed package
    MODEL = "model"  # a language model is asked something
    JOB = "job"  # a confirmed build became a schema and a job
    RUN = "run"  # a confirmed build runs on other pages (a run of its job)


@dataclass(frozen=True, kw_only=True)
class Event:
    type: ClassVar[EventType]
    node: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    at: datetime | None = None  # when it happened (stamped when recorded if not given)

    def payload(self) -> dict[str, Any]:
        """The stored JSON: every field that has a value, then ``extra``."""
        data = {name: value for name in _payload_fields(type(self))
                if (value := getattr(self, name)) is not None}
        return {**data, **self.extra} if self.extra else data


_FIELDS: dict[type[Event], tuple[str, ...]] = {}


def _payload_fields(cls: type[Event]) -> tuple[str, ...]:
    if cls not in _FIELDS:
        _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls)
                             if f.name not in _BASE_FIELDS)
    return _FIELDS[cls]


@dataclass(frozen=True, kw_only=True)
class StateTransition(Event):
    """The workflow's status changed to ``to``."""

    type: ClassVar[EventType] = EventType.STATE_TRANSITION
    to: str
    trigger: str | None = None  # manual, schedule…
    by: str | None = None  # the user who caused it (their email)
    iteration: int | None = None  # a build's iteration this status is about


@dataclass(frozen=True, kw_only=True)
class Handoff(Event):
    """Work handed to ``target``: a claim is ``Handoff(target=WORKER, worker=…)`` for every
    kind of workflow; a cancel request to a running worker has ``request="cancel"``."""

    type: ClassVar[EventType] = EventType.HANDOFF
    target: str  # a HandoffTarget
    worker: str | None = None
    by: str | None = None
    request: str | None = None


@dataclass(frozen=True, kw_only=True)
class PageFetched(Event):
    type: ClassVar[EventType] = EventType.PAGE_FETCHED
    url: str
    status: int | None = None
    bytes: int | None = None
    seconds: float | None = None
    items: int | None = None  # records found on it
    rendered: bool | None = None


@dataclass(frozen=True, kw_only=True)
class Retry(Event):
    type: ClassVar[EventType] = EventType.RETRY
    url: str
    retries: int = 1


@dataclass(frozen=True, kw_only=True)
class ValidationResult(Event):
    """An item that broke its schema (and was not stored)."""

    type: ClassVar[EventType] = EventType.VALIDATION_RESULT
    url: str
    violations: list[str] = field(default_factory=list)
    data: dict[str, Any] | None = None


@dataclass(frozen=True, kw_only=True)
class Failure(Event):
    """Something failed. With ``to`` the workflow itself went to that status (failed, or back a
    step); without, one thing failed (a page, a model call) and the workflow went on."""

    type: ClassVar[EventType] = EventType.FAILURE
    error: str | None = None
    to: str | None = None
    url: str | None = None
    status: int | None = None
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class Completion(Event):
    """The workflow ended well in status ``to`` (completed, confirmed)."""

    type: ClassVar[EventType] = EventType.COMPLETION
    to: str
    error: str | None = None


@dataclass(frozen=True, kw_only=True)
class StepResult(Event):
    """What a step made of its input, in counts (only those that apply): a run's extraction of
    the pages since the last write (``pages``, ``items``) and what that write stored
    (``stored``, ``repeated``: already stored by an earlier run), the items that broke the
    schema (``invalid``: each has its own event only up to a cap); a crawl's pages checked, its
    site-wide ``findings``; an audit's ``failing`` checks and ``score``. Written per batch, not
    per page, so a step's events stay readable without multiplying the rows of a large run."""

    type: ClassVar[EventType] = EventType.STEP_RESULT
    url: str | None = None
    pages: int | None = None
    items: int | None = None
    stored: int | None = None
    repeated: int | None = None
    invalid: int | None = None
    findings: int | None = None
    failing: int | None = None
    score: int | None = None


EVENTS: dict[EventType, type[Event]] = {cls.type: cls for cls in (
    StateTransition, Handoff, PageFetched, Retry, ValidationResult, Failure, Completion,
    StepResult)}


def status_of(event: Event) -> str | None:
    """The workflow status an event moves to, if it moves it."""
    return getattr(event, "to", None) or None


def from_row(event_type: str, node: str | None, payload: dict[str, Any] | None,
             at: datetime | None = None) -> Event:
    """A stored row as its typed event."""
    cls = EVENTS[EventType(event_type)]
    payload = dict(payload or {})
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name in _BASE_FIELDS:
            continue
        if f.name in payload:
            values[f.name] = payload.pop(f.name)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            values[f.name] = ""
    return cls(node=node, extra=payload, at=at, **values)
