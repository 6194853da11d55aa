"""The words and icons the app shows for each closed vocabulary: one table per enum, keyed by its
members (``tests/test_vocabularies.py`` checks every table names every member, so a new
status cannot reach a page without its word and icon). A workflow status's words are its enum's
own ``label`` (``vocabularies.py``): the timeline's sentences say them too, outside the UI.

Icons are Material Symbols: Streamlit ships that font, so they render where no emoji font is
installed."""

from __future__ import annotations

from typing import NamedTuple

from core.builder.builds import BuildStatus
from core.llm.providers import ConnectionStatus
from core.platform.access import Role
from core.scraping.exports import ExportFormat, FileStatus
from core.scraping.jobs import PaginationType
from core.scraping.runs import WorkStatus
from core.seo.findings import Severity
from core.timeline.view import Outcome


class Term(NamedTuple):
    label: str
    icon: str = ""
    text: str = ""  # a sentence for the status line, where one helps


def _status(status: WorkStatus | BuildStatus, icon: str, text: str = "") -> Term:
    """A workflow status: its words are the enum's own (``label``)."""
    return Term(status.label, icon, text)


WORK_STATUS: dict[WorkStatus, Term] = {
    WorkStatus.QUEUED: _status(WorkStatus.QUEUED, ":material/schedule:"),
    WorkStatus.RUNNING: _status(WorkStatus.RUNNING, ":material/sync:"),
    WorkStatus.COMPLETED: _status(WorkStatus.COMPLETED, ":material/check_circle:"),
    WorkStatus.COMPLETED_WITH_ERRORS: _status(WorkStatus.COMPLETED_WITH_ERRORS,
                                              ":material/warning:"),
    WorkStatus.FAILED: _status(WorkStatus.FAILED, ":material/error:"),
    WorkStatus.CANCELED: _status(WorkStatus.CANCELED, ":material/stop_circle:"),
    WorkStatus.STOPPED_BUDGET: _status(
        WorkStatus.STOPPED_BUDGET, ":material/savings:",
        "Stopped: a spending limit was reached (your budget, or your plan's credits or longest "
        "run). What was found until then is kept. Raise the limit on the Costs page, or wait "
        "for the next period."),
    WorkStatus.STOPPED_CAP: _status(
        WorkStatus.STOPPED_CAP, ":material/block:",
        "Stopped: the job's cap on one run (max charge or max items) was reached. What was "
        "found until then is kept. Raise the cap on the job to go further."),
}

BUILD_STATUS: dict[BuildStatus, Term] = {
    BuildStatus.PENDING_ANALYSIS: _status(
        BuildStatus.PENDING_ANALYSIS, ":material/travel_explore:",
        "Fetching the samples and analysing them…"),
    BuildStatus.GENERATING_SAMPLES: _status(
        BuildStatus.GENERATING_SAMPLES, ":material/science:",
        "Running the proposed package on every sample…"),
    BuildStatus.PENDING_USER_FEEDBACK: _status(
        BuildStatus.PENDING_USER_FEEDBACK, ":material/rate_review:",
        "Check the samples below: correct what is wrong, or confirm."),
    BuildStatus.PROCESSING_FEEDBACK: _status(
        BuildStatus.PROCESSING_FEEDBACK, ":material/sync:", "Applying your corrections…"),
    BuildStatus.CONFIRMED: _status(
        BuildStatus.CONFIRMED, ":material/verified:",
        "Confirmed: the package is final and remembered in the knowledge base."),
    BuildStatus.FAILED: _status(BuildStatus.FAILED, ":material/error:", "The build failed."),
    BuildStatus.STOPPED_BUDGET: _status(
        BuildStatus.STOPPED_BUDGET, ":material/savings:",
        "Stopped: your budget was reached. The samples and the last iteration are kept. Raise "
        "the budget on the Costs page (or wait for the next period) and start a new build."),
}

CONNECTION_STATUS: dict[ConnectionStatus, Term] = {
    ConnectionStatus.NEVER: Term("Not tested yet", ":material/help:"),
    ConnectionStatus.TESTING: Term("Testing the connection…", ":material/sync:"),
    ConnectionStatus.OK: Term("Connected", ":material/check_circle:"),
    ConnectionStatus.FAILED: Term("Failed", ":material/error:"),
}

FILE_STATUS: dict[FileStatus, Term] = {
    FileStatus.PROCESSING: Term("Preparing…", ":material/hourglass_top:"),
    FileStatus.COMPLETED: Term("Ready", ":material/download:"),
    FileStatus.FAILED: Term("Failed", ":material/error:"),
}

SEVERITY: dict[Severity, Term] = {
    Severity.ERROR: Term("Error", ":material/error:"),
    Severity.WARNING: Term("Warning", ":material/warning:"),
    Severity.NOTICE: Term("Notice", ":material/info:"),
}

PAGINATION_TYPE: dict[PaginationType, Term] = {
    PaginationType.NONE: Term("None (the package's, if it has one)"),
    PaginationType.NEXT_BUTTON: Term("Next button"),
    PaginationType.URL_PATTERN: Term("URL pattern"),
}

EXPORT_FORMAT: dict[ExportFormat, Term] = {
    ExportFormat.CSV: Term("CSV"),
    ExportFormat.JSON: Term("JSON"),
    ExportFormat.JSONL: Term("JSON Lines"),
    ExportFormat.XLSX: Term("Excel"),
    ExportFormat.PARQUET: Term("Parquet"),
}

ROLE: dict[Role, Term] = {
    Role.ADMIN: Term("Admin", ":material/shield_person:"),
    Role.ANALYST: Term("Analyst", ":material/person:"),
    Role.VIEWER: Term("Viewer", ":material/visibility:"),
}

# What a timeline bar or a log line came to (the legend and the log's column).
OUTCOME: dict[Outcome, Term] = {
    Outcome.OK: Term("ok"),
    Outcome.RETRY: Term("retry"),
    Outcome.FAILED: Term("failed"),
    Outcome.INVALID: Term("invalid"),
    Outcome.COMPLETED: Term("done"),
    Outcome.ACTIVE: Term("at work"),
    Outcome.WAITING: Term("waiting"),
}
