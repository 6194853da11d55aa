"""An SEO report as an HTML page or a PDF file.

HTML is rendered from ``templates/report.html.j2`` with autoescaping on: titles, evidence and
reasons come from the audited site or the user and are always written as text.

PDF is that HTML printed by Chromium (Playwright's ``page.pdf``), with JavaScript off and every
network request refused, so the page prints exactly what the template wrote. Printing takes a
browser start (about a second), so the app never does it inside a Streamlit rerun:

    request_pdf(session, actor, report_id)   # pdf_status "processing"; after commit,
                                             # `python -m core.worker seo-report-pdf ID`
    perform_pdf(database, report_id)         # in that worker: the file, then "completed"
                                             # (or "failed" with the reason)
    pdf_file(session, actor, report_id)      # path, file name and MIME type to download

The file is ``<data_dir>/seo_reports/<id>.pdf``, written as ``*.part`` and renamed when complete;
``seo_reports.pdf_url`` holds its URI. The CLI writes either format straight to a path
(``export_report``).
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from datetime import timedelta
from pathlib import Path

import jinja2
from sqlalchemy import update
from sqlalchemy.orm import Session

from core.platform import audit
from core.platform.access import Actor
from core.platform.database import Database
from core.platform.errors import Conflict, NotFound, ScrapeDeckError, ValidationError
from core.platform.outfiles import check_out_path, write_whole
from core.seo.lighthouse import KNOWN_DIFFERENCES, LIGHTHOUSE_VERSION
from core.seo.reports import (ReportSummary, ReportView, build_view, get_report,
                              ignored_for_report, require_report, summary_of)
from core.platform.settings import get_settings
from core.platform.work import WorkKind, WorkName, spawn_after_commit
from db.models import SeoReport
from db.types import utcnow
from vocabularies import FileStatus, ReportFormat

log = logging.getLogger("scrapedeck.seo")

MIME_TYPES = {ReportFormat.HTML: "text/html", ReportFormat.PDF: "application/pdf"}
MAX_EVIDENCE = 50  # items listed per audit; the rest are counted
# Printing takes seconds; a PDF "processing" for this long lost its worker and may be asked again.
PDF_STALE_SECONDS = 300

_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def grade(score: int | None) -> str:
    """Lighthouse's colour bands: 90-100 good, 50-89 average, below 50 poor."""
    if score is None or score < 50:
        return "poor"
    return "good" if score >= 90 else "average"


def render_html(view: ReportView) -> str:
    return _TEMPLATES.get_template("report.html.j2").render(
        s=view.summary, v=view, grade=grade(view.summary.score), max_evidence=MAX_EVIDENCE,
        lighthouse_version=LIGHTHOUSE_VERSION, differences=KNOWN_DIFFERENCES)


def _view(session: Session, row: SeoReport) -> ReportView:
    return build_view(summary_of(row), row.audit or {}, row.not_checked or [],
                      ignored_for_report(session, row))


def report_html(session: Session, actor: Actor, report_id: uuid.UUID | str) -> str:
    """The finished report as one self-contained HTML document."""
    return render_html(_view(session, require_report(session, actor, report_id)))


def file_name(summary: ReportSummary, fmt: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", summary.url.lower().split("://", 1)[-1]).strip("-")
    return f"seo-{slug[:60] or 'report'}-{summary.created_at:%Y%m%d-%H%M}.{fmt}"


def html_to_pdf(html: str, target: Path) -> None:
    """Print ``html`` to ``target`` with Chromium; the file appears only when complete."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    from core.scrape.render import CHROMIUM_ARGS

    chromium = get_settings().chromium_path
    target.parent.mkdir(parents=True, exist_ok=True)
    # A part file of its own: two printers of one report (a re-request, a worker racing a retry)
    # never write into or rename each other's file; the last to finish wins, whole.
    part = target.with_name(f"{target.name}.{uuid.uuid4().hex}.part")
    try:
        with sync_playwright() as playwright:
            try:
                browser = playwright.chromium.launch(
                    executable_path=chromium if Path(chromium).exists() else None,
                    args=list(CHROMIUM_ARGS))
            except PlaywrightError as exc:
                raise ScrapeDeckError(f"Chromium could not start to print the PDF: "
                                      f"{str(exc).strip().splitlines()[0]}") from exc
            try:
                context = browser.new_context(java_script_enabled=False)
                page = context.new_page()
                # The report is self-contained: nothing it names is fetched while printing.
                page.route("**/*", lambda route: route.abort())
                page.set_content(html, wait_until="load")
                page.pdf(path=str(part), format="A4", print_background=True,
                         margin={"top": "12mm", "bottom": "12mm", "left": "10mm",
                                 "right": "10mm"})
            finally:
                browser.close()
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)


# --- PDF through a worker (the app) ------------------------------------------------------------

def request_pdf(session: Session, actor: Actor, report_id: uuid.UUID | str) -> ReportSummary:
    """Ask for the report's PDF. Whoever may read a report may export it; a PDF already being
    made is not started twice, unless its worker has plainly died."""
    row = require_report(session, actor, report_id)
    stuck = row.updated_at < utcnow() - timedelta(seconds=PDF_STALE_SECONDS)
    if row.pdf_status != FileStatus.PROCESSING or stuck:
        row.pdf_status, row.pdf_error, row.pdf_url = FileStatus.PROCESSING, None, None
        session.flush()
        audit.record(session, actor, "seo_report.pdf", "seo_report", row.id,
                     new={"url": row.url})
        spawn_after_commit(session, WorkName.SEO_REPORT_PDF, row.id, queued=False)
    return summary_of(row)


def pdf_path(report_id: uuid.UUID) -> Path:
    return get_settings().seo_reports_dir / f"{report_id}.pdf"


def print_pdf(html: str, target: Path, what: str) -> str | None:
    """Print ``html`` to ``target`` in a background job; None when it worked, else the reason
    to show (a ScrapeDeck error's own words, anything else named and left to the log)."""
    try:
        html_to_pdf(html, target)
    except Exception as exc:  # noqa: BLE001 - a background job records every failure
        log.exception("PDF of %s failed", what)
        return str(exc) if isinstance(exc, ScrapeDeckError) else \
            f"Unexpected error ({type(exc).__name__}: {exc}); the worker log has the details."
    return None


def perform_pdf(database: Database, report_id: uuid.UUID | str) -> str:
    """Print the report's PDF and record the outcome; return the PDF status."""
    key = uuid.UUID(str(report_id))
    with database.transaction() as session:
        row = session.get(SeoReport, key)
        if row is None:
            raise NotFound("Report not found.")
        html = render_html(_view(session, row))
    target = pdf_path(key)
    reason = print_pdf(html, target, f"seo report {key}")
    if reason is not None:
        status, values = FileStatus.FAILED, dict(pdf_error=reason, pdf_url=None)
    else:
        status, values = FileStatus.COMPLETED, dict(pdf_error=None,
                                                    pdf_url=target.resolve().as_uri())
    with database.transaction() as session:
        session.execute(update(SeoReport).where(SeoReport.id == key)
                        .values(**values, pdf_status=status, updated_at=utcnow()))
    return status


def pdf_file(session: Session, actor: Actor,
             report_id: uuid.UUID | str) -> tuple[Path, str, str]:
    """(path, file name to offer, MIME type) of the report's finished PDF."""
    summary = get_report(session, actor, report_id)
    if summary.pdf_status == FileStatus.PROCESSING:
        raise Conflict("The PDF is still being prepared.")
    if summary.pdf_status == FileStatus.FAILED:
        raise Conflict(f"The PDF could not be made: {summary.pdf_error}")
    path = pdf_path(summary.id)
    if summary.pdf_status != FileStatus.COMPLETED or not path.is_file():
        raise NotFound("This report has no PDF yet; export it first.")
    return path, file_name(summary, ReportFormat.PDF), MIME_TYPES[ReportFormat.PDF]


# --- Straight to a path (the CLI) ---------------------------------------------------------------

def export_report(database: Database, actor: Actor, report_id: uuid.UUID | str, fmt: str,
                  out_path: str | Path, *, force: bool = False) -> Path:
    """Write the report as ``fmt`` (html or pdf) to ``out_path`` now, in this process; an
    existing file only with ``force`` (``core.platform.outfiles``)."""
    if fmt not in tuple(ReportFormat):
        raise ValidationError(f"Report format must be {' or '.join(ReportFormat)}; got '{fmt}'.")
    with database.transaction() as session:
        html = report_html(session, actor, report_id)
    path = Path(out_path)
    check_out_path(path, force)
    _write_out(fmt, html, path)
    with database.transaction() as session:
        audit.record(session, actor, "seo_report.file", "seo_report", report_id,
                     new={"format": fmt, "path": str(path.resolve())})
    return path


def _write_out(fmt: str, html: str, path: Path) -> None:
    try:
        if fmt == ReportFormat.HTML:
            write_whole(path, html)
        else:
            html_to_pdf(html, path)
    except OSError as exc:
        raise ValidationError(f"Cannot write {path}: {exc.strerror or exc}.") from exc


WORK = WorkKind(WorkName.SEO_REPORT_PDF, execute=perform_pdf)  # spawned per request; never queued
