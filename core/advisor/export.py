"""The final design of each provider run with its evidence, as Markdown, or as HTML printed to
PDF with Chromium (``core.seo.report_export.html_to_pdf``, which fetches nothing while printing).

Printing starts a browser, so the app never prints inside a Streamlit rerun; as for SEO
reports, a worker does it:

    request_pdf(session, actor, query_id)   # advisor_pdfs row "processing"; after commit,
                                            # `python -m core.worker advisor-pdf QUERY_ID`
    perform_pdf(database, query_id)         # in that worker: the file, then "completed"
                                            # (or "failed" with the reason)
    pdf_file(session, actor, query_id)      # path, file name and MIME type to download

The CLI writes either format straight to a path (``write``).

Text that came from a web page (excerpts, titles) or from the user (the query) is put in
Markdown so that it shows literally: block quotes with every Markdown character escaped, and
links only to the cited URL, written out as text in angle brackets.
"""

from __future__ import annotations

import enum
import html
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.advisor import records
from core.advisor.records import QueryView, RunView, explain
from core.platform.access import Actor
from core.platform.database import Database
from core.platform.errors import Conflict, NotFound, ValidationError
from core.platform.outfiles import check_out_path, write_whole
from core.platform.settings import get_settings
from core.platform.work import WorkKind, WorkName, spawn_after_commit
from db.models.advisor import AdvisorPdf, ArchitectureQuery, Outcome
from db.types import utcnow
from vocabularies import FileStatus

# A PDF "processing" for this long lost its worker and may be asked again.
PDF_STALE_SECONDS = 300

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$&:])")


def _text(value: Any) -> str:
    return _SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


def _run(run: RunView) -> list[str]:
    lines = [f"## {run.provider.upper()}: {run.status}", "",
             _text(explain(run.terminal_reason, run.status)), ""]
    if run.error:
        lines += [f"Detail: {_text(run.error)}", ""]
    if not run.iterations:
        return lines + ["No iteration was made.", ""]
    last = run.iterations[-1]
    lines += [f"Final design (iteration {last.iteration} of {run.iteration_count}):", ""]
    for domain, proposal in last.proposals.items():
        c = proposal["content"]
        lines.append(f"- **{domain}**: {_text(c['name'])} × {c['units']}, about "
                     f"${c['monthly_usd']:,.0f}/month, SLA {c['sla']}% "
                     f"({_text(last.changed.get(domain, ''))})")
    if last.design:
        lines += ["", f"Region: {_text(last.design.get('region_name') or 'none')}; estimated "
                      f"${last.design.get('monthly_usd', 0):,.0f} a month.", ""]
    for severity in ("critical", "high", "medium", "low"):
        mine = [f for f in last.findings if f.severity == severity]
        if not mine:
            continue
        lines += [f"### {severity.capitalize()} findings", ""]
        for f in mine:
            lines.append(f"- {f.outcome.upper()} {_text(f.check)} ({f.domain}): {_text(f.reason)}")
            if f.remediation:
                lines.append(f"  - Fix: {_text(f.remediation)}")
            for e in f.evidence:
                state = "" if e.available else " (UNAVAILABLE)"
                lines.append(f"  - Evidence{state}: {_text(e.title)} <{e.url}> retrieved "
                             f"{e.retrieved_at:%Y-%m-%d %H:%M} UTC")
                lines.append(f"    > {_text(e.excerpt)}")
        lines.append("")
    if len(run.iterations) > 1:
        lines += ["### Iterations", ""]
        for it in run.iterations:
            fails = sum(f.outcome == Outcome.FAIL for f in it.findings)
            lines.append(f"- {it.iteration}: {fails} failing check(s); " + "; ".join(
                f"{d}: {_text(v)}" for d, v in it.changed.items()))
        lines.append("")
    return lines


def to_markdown(view: QueryView) -> str:
    lines = ["# Architecture advice", "", f"> {_text(view.text)}", "",
             f"Asked {view.created_at:%Y-%m-%d %H:%M} UTC for {view.scope}, optimised for "
             f"{view.priority}.", ""]
    for run in view.runs:
        lines += _run(run)
    return "\n".join(lines).rstrip() + "\n"


def to_html(view: QueryView) -> str:
    """The same content as ``to_markdown``, as a self-contained HTML page (every piece of text
    escaped; links are the cited URLs, shown in full), for printing to PDF."""
    e = html.escape
    out = ["<!doctype html><html><head><meta charset='utf-8'><title>Architecture advice</title>"
           "<style>body{font:11pt sans-serif;margin:0}blockquote{color:#333;border-left:3px "
           "solid #999;margin:4px 0 8px 0;padding-left:8px}h2{margin-top:18px}"
           ".fail{color:#a00}.pass{color:#070}.warn{color:#a60}</style></head><body>",
           "<h1>Architecture advice</h1>", f"<blockquote>{e(view.text)}</blockquote>",
           f"<p>Asked {view.created_at:%Y-%m-%d %H:%M} UTC for {e(view.scope)}, optimised for "
           f"{e(view.priority)}.</p>"]
    for run in view.runs:
        out += [f"<h2>{e(run.provider.upper())}: {e(run.status)}</h2>",
                f"<p>{e(explain(run.terminal_reason, run.status))}</p>"]
        if run.error:
            out.append(f"<p>Detail: {e(run.error)}</p>")
        if not run.iterations:
            continue
        last = run.iterations[-1]
        out.append(f"<p>Final design (iteration {last.iteration} of {run.iteration_count}):</p>"
                   "<ul>")
        for domain, proposal in last.proposals.items():
            c = proposal["content"]
            out.append(f"<li><b>{e(domain)}</b>: {e(c['name'])} × {c['units']}, about "
                       f"${c['monthly_usd']:,.0f}/month, SLA {c['sla']}% "
                       f"({e(last.changed.get(domain, ''))})</li>")
        out.append("</ul>")
        for severity in ("critical", "high", "medium", "low"):
            mine = [f for f in last.findings if f.severity == severity]
            if not mine:
                continue
            out.append(f"<h3>{severity.capitalize()} findings</h3><ul>")
            for f in mine:
                out.append(f"<li><span class='{e(f.outcome)}'>{e(f.outcome.upper())}</span> "
                           f"{e(f.check)} ({e(f.domain)}): {e(f.reason)}")
                if f.remediation:
                    out.append(f"<br>Fix: {e(f.remediation)}")
                for ev in f.evidence:
                    state = "" if ev.available else " (UNAVAILABLE)"
                    out.append(f"<br>Evidence{state}: {e(ev.title)} — {e(ev.url)} (retrieved "
                               f"{ev.retrieved_at:%Y-%m-%d %H:%M} UTC)"
                               f"<blockquote>{e(ev.excerpt)}</blockquote>")
                out.append("</li>")
            out.append("</ul>")
    return "\n".join(out + ["</body></html>"])


class AdviceFormat(enum.StrEnum):
    """What the advice is exported as (the CLI's ``--format``)."""

    MARKDOWN = "md"
    PDF = "pdf"


def write(view: QueryView, fmt: str, path: str | Path, *, force: bool = False) -> Path:
    """The export as ``md`` or ``pdf`` (printed with Chromium, as SEO reports are) at ``path``;
    an existing file only with ``force`` (``core.platform.outfiles``)."""
    if fmt not in set(AdviceFormat):
        raise ValidationError(f"Export format must be {' or '.join(AdviceFormat)}; "
                              f"got '{fmt[:20]}'.")
    target = Path(path)
    check_out_path(target, force)
    try:
        if fmt == AdviceFormat.MARKDOWN:
            write_whole(target, to_markdown(view))
        else:
            from core.seo.report_export import html_to_pdf
            html_to_pdf(to_html(view), target)
    except OSError as exc:
        raise ValidationError(f"Cannot write {target}: {exc.strerror or exc}.") from exc
    return target


# --- PDF through a worker (the app) ------------------------------------------------------------

@dataclass(frozen=True)
class PdfState:
    status: FileStatus
    error: str | None


def file_name(view: QueryView, fmt: str) -> str:
    return f"advice-{view.created_at:%Y%m%d-%H%M}-{str(view.id)[:8]}.{fmt}"


def pdf_state(session: Session, actor: Actor, query_id: uuid.UUID) -> PdfState | None:
    """The question's PDF export so far; None when none was asked for."""
    records.show(session, actor, query_id)  # the access check
    row = session.scalar(select(AdvisorPdf).where(AdvisorPdf.query_id == query_id))
    return PdfState(row.status, row.error) if row is not None else None


def request_pdf(session: Session, actor: Actor, query_id: uuid.UUID) -> PdfState:
    """Ask for the PDF of a question whose runs have ended (whoever may read it may export it);
    one being printed is not started twice, unless its worker has plainly died."""
    view = records.show(session, actor, query_id)
    if view.active:
        raise Conflict("The runs are still working: export once they end.")
    row = session.scalar(select(AdvisorPdf).where(AdvisorPdf.query_id == view.id)
                         .with_for_update())
    now = utcnow()
    if row is None:
        row = AdvisorPdf(query_id=view.id, status=FileStatus.PROCESSING, requested_at=now,
                         updated_at=now)
        session.add(row)
    elif row.status == FileStatus.PROCESSING and \
            row.updated_at > now - timedelta(seconds=PDF_STALE_SECONDS):
        return PdfState(row.status, row.error)
    else:
        row.status, row.error, row.path, row.requested_at, row.updated_at = \
            FileStatus.PROCESSING, None, None, now, now
    session.flush()
    spawn_after_commit(session, WorkName.ADVISOR_PDF, view.id, queued=False)
    return PdfState(row.status, None)


def pdf_path(query_id: uuid.UUID) -> Path:
    return get_settings().advisor_pdfs_dir / f"{query_id}.pdf"


def perform_pdf(database: Database, query_id: uuid.UUID | str) -> str:
    """Print the question's PDF and record the outcome; return the PDF's status."""
    key = uuid.UUID(str(query_id))
    with database.transaction() as session:
        query_row = session.get(ArchitectureQuery, key)
        if query_row is None:
            raise NotFound("No such advisor query.")
        page = to_html(records.view_of(session, query_row))
    target = pdf_path(key)
    from core.seo.report_export import print_pdf  # Chromium's printing: only in this worker
    error = print_pdf(page, target, f"advisor query {key}")
    status = FileStatus.FAILED if error is not None else FileStatus.COMPLETED
    path = str(target.resolve()) if error is None else None
    with database.transaction() as session:
        row = session.scalar(select(AdvisorPdf).where(AdvisorPdf.query_id == key)
                             .with_for_update())
        if row is None:
            row = AdvisorPdf(query_id=key, requested_at=utcnow())
            session.add(row)
        row.status, row.path, row.error, row.updated_at = status, path, error, utcnow()
    return status


def pdf_file(session: Session, actor: Actor, query_id: uuid.UUID) -> tuple[Path, str, str]:
    """(path, file name to offer, MIME type) of the question's finished PDF."""
    view = records.show(session, actor, query_id)
    row = session.scalar(select(AdvisorPdf).where(AdvisorPdf.query_id == view.id))
    if row is None:
        raise NotFound("This question has no PDF yet; prepare it first.")
    if row.status == FileStatus.PROCESSING:
        raise Conflict("The PDF is still being prepared.")
    if row.status == FileStatus.FAILED:
        raise Conflict(f"The PDF could not be made: {row.error}")
    path = Path(row.path or "")
    if not path.is_file():
        raise NotFound("The PDF file is gone; prepare it again.")
    return path, file_name(view, "pdf"), "application/pdf"


WORK = WorkKind(WorkName.ADVISOR_PDF, execute=perform_pdf)  # spawned per request; never queued
