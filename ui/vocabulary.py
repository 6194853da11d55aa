"""The words and icons the app shows for each closed vocabulary: one table per enum, keyed by its
members (``tests/pages/test_vocabulary.py`` checks every table names every member, so a new
status cannot reach a page without its word and icon).

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


class Term(NamedTuple):
    label: str
    icon: str = ""
    text: str = ""  # a sentence for the status line, where one helps


WORK_STATUS: dict[WorkStatus, Term] = {
    WorkStatus.QUEUED: Term("Queued", ":material/schedule:"),
    WorkStatus.RUNNING: Term("Running", ":material/sync:"),
    WorkStatus.COMPLETED: Term("Completed", ":material/check_circle:"),
    WorkStatus.COMPLETED_WITH_ERRORS: Term("Completed with errors", ":material/warning:"),
    WorkStatus.FAILED: Term("Failed", ":material/error:"),
    WorkStatus.CANCELED: Term("Canceled", ":material/stop_circle:"),
    WorkStatus.STOPPED_BUDGET: Term(
        "Stopped: budget reached", ":material/savings:",
        "Stopped: a spending limit was reached (your budget, or your plan's credits or longest "
        "run). What was found until then is kept. Raise the limit on the Costs page, or wait "
        "for the next period."),
    WorkStatus.STOPPED_CAP: Term(
        "Stopped: job cap reached", ":material/block:",
        "Stopped: the job's cap on one run (max charge or max items) was reached. What was "
        "found until then is kept. Raise the cap on the job to go further."),
}

BUILD_STATUS: dict[BuildStatus, Term] = {
    BuildStatus.PENDING_ANALYSIS: Term(
        "Pending analysis", ":material/travel_explore:",
        "Fetching the samples and analysing them…"),
    BuildStatus.GENERATING_SAMPLES: Term(
        "Generating samples", ":material/science:",
        "Running the proposed package on every sample…"),
    BuildStatus.PENDING_USER_FEEDBACK: Term(
        "Pending user feedback", ":material/rate_review:",
        "Check the samples below: correct what is wrong, or confirm."),
    BuildStatus.PROCESSING_FEEDBACK: Term(
        "Processing feedback", ":material/sync:", "Applying your corrections…"),
    BuildStatus.CONFIRMED: Term(
        "Confirmed", ":material/verified:",
        "Confirmed: the package is final and remembered in the knowledge base."),
    BuildStatus.FAILED: Term("Failed", ":material/error:", "The build failed."),
    BuildStatus.STOPPED_BUDGET: Term(
        "Stopped: budget reached", ":material/savings:",
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
