"""The closed vocabularies the database stores: one ``StrEnum`` per closed set, defined once.

A member *is* its stored string (``WorkStatus.QUEUED == "queued"``), so rows, JSON and URLs keep
the values they always had. This module sits beside ``core/`` and ``db/``, below both, and
imports only the standard library: ``db`` may not import ``core``, and the engine
(``core/scrape``) may not reach database code, yet both need these sets. Every arrow points here:

- here: the sets themselves, grouped by the capability that owns them;
- ``db/models``: each table's check constraint is built from its enum (``one_of``), and the
  migrations write the same lists (``tests/test_migrations.py`` compares them);
- ``core``: each capability re-exports the enums it owns (``core.scraping.runs.WorkStatus``,
  ``core.builder.builds.BuildStatus`` …), checks input and builds CLI choices from them;
- ``ui/vocabulary.py``: one icon-and-words table per enum, keyed by its members; a workflow
  status's words (``label``) are the enum's own, because the timeline's sentences (pages and
  command line alike) say them too.

Sets that never reach a column live with their owner in ``core`` instead (field kinds in
``core.analysis.types``, work kinds in ``core.platform.work``), except ``ReportFormat`` and
``GraphFormat``, which the command line reads without loading the SEO report or timeline code.
Run-event types and workflow node states belong to the timeline (``core/timeline``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

# --- platform: background work ------------------------------------------------------------------


class WorkStatus(StrEnum):
    """A unit of queued background work: a scraping run or an SEO site crawl (and, without
    ``canceled`` and the stops, an SEO audit: ``AUDIT_STATUSES``). queued → running →
    completed | completed_errors | failed | canceled | stopped_budget | stopped_cap.
    ``completed_errors``: the run went through all its URLs but lost some of them (their errors
    are listed per URL). ``stopped_budget``: a spending limit (the user's budget, or their plan's
    credits or longest run) was reached and the work stopped at its next heartbeat, keeping what
    it had. ``stopped_cap``: the job's own cap on one run (max charge or max items) was reached,
    likewise."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    COMPLETED_WITH_ERRORS = "completed_errors"
    FAILED = "failed"
    CANCELED = "canceled"
    STOPPED_BUDGET = "stopped_budget"
    STOPPED_CAP = "stopped_cap"

    ACTIVE: ClassVar[frozenset[WorkStatus]]  # waiting for or held by a worker
    FINISHED: ClassVar[frozenset[WorkStatus]]  # will not change again

    @property
    def label(self) -> str:
        """The status in words, as the pages and the command line say it."""
        return _WORK_STATUS_LABELS[self]


WorkStatus.ACTIVE = frozenset({WorkStatus.QUEUED, WorkStatus.RUNNING})
WorkStatus.FINISHED = frozenset(WorkStatus) - WorkStatus.ACTIVE
_WORK_STATUS_LABELS = {
    WorkStatus.QUEUED: "Queued", WorkStatus.RUNNING: "Running",
    WorkStatus.COMPLETED: "Completed", WorkStatus.COMPLETED_WITH_ERRORS: "Completed with errors",
    WorkStatus.FAILED: "Failed", WorkStatus.CANCELED: "Canceled",
    WorkStatus.STOPPED_BUDGET: "Stopped: budget reached",
    WorkStatus.STOPPED_CAP: "Stopped: job cap reached"}


class FileStatus(StrEnum):
    """A file a worker writes on request: an export, an SEO report's PDF."""

    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


# --- accounts ----------------------------------------------------------------------------------


class Role(StrEnum):
    """What a user may do: admins manage users; analysts create and run; viewers read."""

    ADMIN = "admin"
    ANALYST = "analyst"
    VIEWER = "viewer"

    CAN_WRITE: ClassVar[frozenset[Role]]


Role.CAN_WRITE = frozenset({Role.ADMIN, Role.ANALYST})


class LoginFailure(StrEnum):
    """Why a sign-in attempt was refused (``login_attempts.failure_reason``; NULL: success)."""

    WRONG_CREDENTIALS = "wrong_credentials"
    SUSPENDED = "suspended"
    LOCKED = "locked"  # the email, from this address
    ADDRESS_LOCKED = "address_locked"  # the client address, whatever the email


# --- scraping ----------------------------------------------------------------------------------


class PaginationType(StrEnum):
    """How a job (or a config package) reaches the next page of a listing."""

    NONE = "none"
    NEXT_BUTTON = "next_button"
    URL_PATTERN = "url_pattern"


class ExportFormat(StrEnum):
    """The file formats a run's results export to."""

    CSV = "csv"
    JSON = "json"
    JSONL = "jsonl"
    XLSX = "xlsx"
    PARQUET = "parquet"


# --- builder -----------------------------------------------------------------------------------


class BuildStatus(StrEnum):
    """A build: analysis, samples, then rounds of feedback until the user confirms."""

    PENDING_ANALYSIS = "pending_analysis"
    GENERATING_SAMPLES = "generating_samples"
    PENDING_USER_FEEDBACK = "pending_user_feedback"
    PROCESSING_FEEDBACK = "processing_feedback"
    CONFIRMED = "confirmed"
    FAILED = "failed"
    STOPPED_BUDGET = "stopped_budget"  # a spending limit was reached: samples and iteration kept

    WORKING: ClassVar[frozenset[BuildStatus]]  # a worker has (or is about to have) it
    CLAIMABLE: ClassVar[frozenset[BuildStatus]]  # waiting for a worker

    @property
    def label(self) -> str:
        """The status in words, as the pages and the command line say it."""
        return _BUILD_STATUS_LABELS[self]


BuildStatus.CLAIMABLE = frozenset({BuildStatus.PENDING_ANALYSIS, BuildStatus.PROCESSING_FEEDBACK})
BuildStatus.WORKING = BuildStatus.CLAIMABLE | {BuildStatus.GENERATING_SAMPLES}
_BUILD_STATUS_LABELS = {
    BuildStatus.PENDING_ANALYSIS: "Pending analysis",
    BuildStatus.GENERATING_SAMPLES: "Generating samples",
    BuildStatus.PENDING_USER_FEEDBACK: "Pending user feedback",
    BuildStatus.PROCESSING_FEEDBACK: "Processing feedback", BuildStatus.CONFIRMED: "Confirmed",
    BuildStatus.FAILED: "Failed", BuildStatus.STOPPED_BUDGET: "Stopped: budget reached"}


# --- llm ---------------------------------------------------------------------------------------


class ConnectionStatus(StrEnum):
    """The last "Test connection" of a model provider."""

    NEVER = "never"
    TESTING = "testing"
    OK = "ok"
    FAILED = "failed"


# --- seo ---------------------------------------------------------------------------------------

#: An SEO audit (a ``seo_reports`` row) runs like other work but cannot be canceled.
AUDIT_STATUSES: frozenset[WorkStatus] = frozenset(WorkStatus) - {
    WorkStatus.CANCELED, WorkStatus.COMPLETED_WITH_ERRORS, WorkStatus.STOPPED_BUDGET,
    WorkStatus.STOPPED_CAP}


class GraphFormat(StrEnum):
    """What a workflow's graph is printed as (not stored; here, like ``ReportFormat``, so that
    the command line offers the choice without loading the timeline's database code)."""

    JSON = "json"
    DOT = "dot"


class ReportFormat(StrEnum):
    """What a stored SEO report is written as (not stored; here so that the command line can
    offer the choice without loading the report code)."""

    HTML = "html"
    PDF = "pdf"


class Severity(StrEnum):
    """How much a crawl finding matters, most first."""

    ERROR = "error"
    WARNING = "warning"
    NOTICE = "notice"


# --- agents ------------------------------------------------------------------------------------


class AgentJobStatus(StrEnum):
    """The seed's job statuses, in the order a job moves through them."""

    PENDING = "pending"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    RESUBMISSION_REQUIRED = "resubmission_required"

    @property
    def label(self) -> str:
        return {"pending": "Pending", "assigned": "Assigned", "in_progress": "In Progress",
                "completed": "Completed",
                "resubmission_required": "Re-submission Required"}[self.value]

    @property
    def finished(self) -> bool:
        return self in (AgentJobStatus.COMPLETED, AgentJobStatus.RESUBMISSION_REQUIRED)


class AgentLogStatus(StrEnum):
    """How one call to an agent went (seed 004 ``job_logs.status``)."""

    SUCCESS = "success"
    FAILURE = "failure"
    VALIDATION_ERROR = "validation_error"

    @property
    def label(self) -> str:
        return {"success": "Success", "failure": "Failure",
                "validation_error": "Validation Error"}[self.value]
