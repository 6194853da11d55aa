"""How SEO reports, keywords, rankings and backlinks look: the audit's live status, the score and
what to fix first, history and trend, the diff, ignoring findings, exports and the charts."""

from __future__ import annotations

import uuid

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from core.platform.access import Actor
from core.seo import report_export, reports
from core.seo.reports import AuditRow, ReportSummary, ReportView
from ui.messages import perform, rerun_with
from ui.pdf_views import pdf_buttons
from ui.text import plain
from ui.vocabulary import WORK_STATUS, FileStatus, WorkStatus
MAX_EVIDENCE_SHOWN = 100


# --- Picking a report ---------------------------------------------------------------------------

def report_labels(history: pd.DataFrame) -> dict[uuid.UUID, str]:
    """Labels hold nothing that changes (not status or score): a select box keeps the label it
    first drew for an option."""
    return {row.id: f"{row.created_at:%Y-%m-%d %H:%M:%S}" + (" · rendered" if row.render else "")
            for row in history.itertuples()}


def live_status(actor: Actor, report_id: uuid.UUID) -> ReportSummary | None:
    """The report's status; while it is queued or running a fragment polls it every second and
    redraws the whole page once it ends. Returns the summary when it has finished."""
    summary = perform(lambda s: reports.report_status(s, actor, report_id))
    if summary is None or not summary.active:
        return summary
    st.fragment(_poll_status, run_every="1s")(actor, report_id)
    return None


def _poll_status(actor: Actor, report_id: uuid.UUID) -> None:
    summary = perform(lambda s: reports.report_status(s, actor, report_id))
    if summary is None:
        return
    if not summary.active:
        st.rerun()  # finished: draw the report, without the timer
    what = "rendering and auditing" if summary.render else "fetching and auditing"
    look = WORK_STATUS[summary.status]
    st.info(plain(f"{look.label}: {what} {summary.url}…"), icon=look.icon)


# --- The report --------------------------------------------------------------------------------

def score_header(view: ReportView) -> None:
    summary = view.summary
    if summary.status == WorkStatus.FAILED:
        st.error(f"The audit failed: {plain(summary.error)}", icon=":material/error:")
        return
    score, issues, ignored, checked = st.columns(4)
    score.metric("SEO score", f"{summary.score}/100", help="Lighthouse's SEO weighting. Ignored "
                 "findings still count here, as they would in Lighthouse.")
    issues.metric("Open issues", view.open_issues, help="Failing items not marked as ignored.")
    ignored.metric("Ignored", view.ignored_issues)
    checked.metric("Passed audits", len(view.passed))
    facts = [f"HTTP {view.status_code}" if view.status_code else "",
             f"{view.response_time_ms:.0f} ms" if view.response_time_ms is not None else "",
             f"{view.page_bytes:,} bytes" if view.page_bytes else "",
             "rendered in Chromium" if summary.render else ""]
    st.caption(plain(" · ".join(f for f in [summary.title or "", *facts] if f)))


def fix_first(actor: Actor, view: ReportView, can_change: bool) -> None:
    st.subheader("What to fix first")
    if not view.failing:
        st.success("Every applicable audit passed.", icon=":material/check_circle:")
    for audit in view.failing:
        _failing_audit(actor, view.summary.id, audit, can_change)


def _audit_label(audit: AuditRow) -> str:
    # Checks beyond Lighthouse's are not weighted into the score: say so, not "+0 points".
    gain = (f"+{audit.points_recoverable:g} points" if audit.points_recoverable
            else "no points" if audit.lighthouse else "beyond Lighthouse, not scored")
    count = len(audit.evidence)
    items = f" · {count} item{'' if count == 1 else 's'}" if count else ""
    ignored = " · ignored" if audit.open_items == 0 else ""
    return f"**{plain(audit.title)}** — {plain(gain + items + ignored)}"


def _failing_audit(actor: Actor, report_id: uuid.UUID, audit: AuditRow, can_change: bool) -> None:
    with st.expander(_audit_label(audit), icon=":material/error:"):
        if audit.details:
            st.text(audit.details)
        if audit.note:
            st.info(plain(audit.note), icon=":material/javascript:")
        st.markdown(f"**How to fix:** {plain(audit.recommendation)}")
        if audit.ignored_reason is not None:
            st.caption(f"Ignored: {plain(audit.ignored_reason)}")
        if audit.evidence:
            st.dataframe(pd.DataFrame(
                [(e.text, e.ignored_reason or "") for e in audit.evidence[:MAX_EVIDENCE_SHOWN]],
                columns=["evidence", "ignored"]), hide_index=True, width="stretch",
                column_config={"evidence": st.column_config.TextColumn("Evidence", width="large"),
                               "ignored": "Ignored because"})
        st.caption(f"Audit id: {plain(audit.id)}" + (" (Lighthouse)" if audit.lighthouse else ""))
        if can_change:
            _ignore_controls(actor, report_id, audit)


def _ignore_controls(actor: Actor, report_id: uuid.UUID, audit: AuditRow) -> None:
    options = {"": "The whole audit", **{e.key: e.text[:120] for e in audit.evidence}}
    ignored = {e.key: e.text[:120] for e in audit.evidence if e.ignored_reason is not None}
    if audit.ignored_reason is not None:
        ignored[""] = "The whole audit"
    with st.form(f"seo_ignore_{report_id}_{audit.id}", border=False):
        choice, reason = st.columns([2, 3])
        key = choice.selectbox("Finding", list(options), format_func=options.get)
        why = reason.text_input("Reason", placeholder="Why this is a false positive")
        if st.form_submit_button("Ignore", icon=":material/visibility_off:"):
            if perform(lambda s: reports.ignore_finding(s, actor, report_id, audit.id, key, why)):
                rerun_with("Ignored for this URL; it no longer counts as an open issue.")
    for key, text in ignored.items():
        if st.button(f"Count again: {plain(text)}", key=f"seo_unignore_{audit.id}_{key}",
                     icon=":material/visibility:"):
            perform(lambda s: reports.unignore_finding(s, actor, report_id, audit.id, key))
            rerun_with("Counted again.")


def other_audits(view: ReportView) -> None:
    passed, not_applicable, not_checked = st.tabs([
        f"Passed ({len(view.passed)})", f"Not applicable ({len(view.not_applicable)})",
        f"Not checked ({len(view.not_checked)})"])
    passed.dataframe(_audit_table(view.passed), hide_index=True, width="stretch")
    _script_notes(passed, view.passed)
    not_applicable.dataframe(_audit_table(view.not_applicable), hide_index=True, width="stretch")
    _script_notes(not_applicable, view.not_applicable)
    if view.not_checked:
        not_checked.markdown("\n".join(f"- {plain(item)}" for item in view.not_checked))
    else:
        not_checked.caption("Everything was checked.")
    lighthouse_differences()


def _script_notes(container: DeltaGenerator, rows: list[AuditRow]) -> None:
    """Where the page's scripts may make Lighthouse count differently, in words, per audit."""
    for audit in rows:
        if audit.note:
            container.info(f"**{plain(audit.title)}** — {plain(audit.note)}",
                           icon=":material/javascript:")


def lighthouse_differences() -> None:
    """Where this score can still differ from Lighthouse's, in words."""
    from core.seo.lighthouse import KNOWN_DIFFERENCES, LIGHTHOUSE_VERSION

    with st.expander("How this compares with Lighthouse", icon=":material/compare:"):
        st.markdown(f"The score and the scored audits follow Lighthouse {LIGHTHOUSE_VERSION}'s "
                    "SEO category rule by rule. What can still differ on a real page:")
        st.markdown("\n".join(f"- {plain(item)}" for item in KNOWN_DIFFERENCES))


def _audit_table(rows: list[AuditRow]) -> pd.DataFrame:
    return pd.DataFrame([(a.title, a.id, a.details) for a in rows],
                        columns=["Audit", "Id", "Details"])


# --- History, trend and diff -------------------------------------------------------------------

def trend_chart(points: pd.DataFrame) -> None:
    if len(points) < 2:
        st.caption("The trend appears after the second completed audit of this URL.")
        if points.empty:
            return
    # One slot per audit (a category axis): on a time axis two audits a minute apart draw
    # bars minutes wide, and audits weeks apart squeeze the recent ones together.
    when = points.created_at.dt.strftime("%Y-%m-%d %H:%M:%S")
    most = int(points.open_issues.max() or 0)
    figure = go.Figure()
    figure.add_bar(x=when, y=points.open_issues, name="Open issues", yaxis="y2", opacity=0.45,
                   width=0.3)
    figure.add_scatter(x=when, y=points.score, name="SEO score (0–100)", mode="lines+markers")
    figure.update_layout(height=320, margin=dict(t=30, b=10), legend=dict(orientation="h"),
                         xaxis=dict(type="category", title="Audited at"),
                         yaxis=dict(title="Score", range=[0, 100]),
                         yaxis2=dict(title="Open issues", overlaying="y", side="right",
                                     range=[0, max(most, 1) * 1.1], tickformat="d",
                                     dtick=max(1, -(-most // 5))))  # whole issues only
    st.plotly_chart(figure, width="stretch", key="seo_trend_chart")


def history_table(history: pd.DataFrame) -> None:
    """Every report of the URL, newest first (failed ones too, with why)."""
    shown = history.assign(status=history.status.map(lambda status: WORK_STATUS[status].label),
                           error=history.error.fillna(""))  # blank, not "None"
    st.dataframe(shown, hide_index=True, width="stretch",
                 column_config={
                     "created_at": st.column_config.DatetimeColumn(
                         "Audited at", format="YYYY-MM-DD HH:mm:ss"),
                     "status": "Status",
                     "score": st.column_config.ProgressColumn(
                         "SEO score", min_value=0, max_value=100, format="%d"),
                     "failing": st.column_config.NumberColumn("Failing items", format="%d"),
                     "render": st.column_config.CheckboxColumn("Rendered"),
                     "error": st.column_config.TextColumn("Error", width="large")},
                 column_order=["created_at", "status", "score", "failing", "render", "error"])


def diff_view(actor: Actor, current: ReportSummary, history: pd.DataFrame) -> None:
    if current.status != WorkStatus.COMPLETED:
        st.caption("Only completed reports can be compared.")
        return
    earlier = history[(history.status == WorkStatus.COMPLETED) & (history.id != current.id)
                      & (history.created_at < current.created_at)]
    if earlier.empty:
        st.caption("No earlier completed report of this URL to compare with.")
        return
    labels = report_labels(earlier)
    before = st.selectbox("Compare with", list(labels), format_func=labels.get,
                          key="seo_compare_with")
    change = perform(lambda s: reports.diff_reports(s, actor, before, current.id))
    if change is None:
        return
    new, fixed, persisting = st.columns(3)
    new.metric("New issues", len(change.issues.new))
    fixed.metric("Fixed", len(change.issues.fixed))
    persisting.metric("Persisting", len(change.issues.persisting))
    for title, issues in (("New", change.issues.new), ("Fixed", change.issues.fixed),
                          ("Persisting", change.issues.persisting)):
        if issues:
            st.markdown(f"**{plain(title)}**")
            st.dataframe(pd.DataFrame([(i.title, i.detail or "(the whole audit)") for i in issues],
                                      columns=["Audit", "Item"]), hide_index=True,
                         width="stretch")


# --- Export ------------------------------------------------------------------------------------

def export_buttons(actor: Actor, summary: ReportSummary) -> None:
    st.caption("The report as a self-contained HTML page, or as a PDF printed by Chromium "
               "(prepared in the background; the button turns into a download).")
    html = perform(lambda s: report_export.report_html(s, actor, summary.id))
    html_col, pdf_col = st.columns(2)
    if html is not None:
        html_col.download_button("Download HTML", data=html.encode("utf-8"),
                                 file_name=report_export.file_name(
                                     summary, report_export.ReportFormat.HTML),
                                 mime="text/html", on_click="ignore", icon=":material/code:",
                                 key="seo_download_html")
    with pdf_col:
        printing = summary.pdf_status == FileStatus.PROCESSING
        st.fragment(_pdf, run_every=1 if printing else None)(actor, summary.id, printing)


def _pdf(actor: Actor, report_id: uuid.UUID, polling: bool) -> None:
    summary = perform(lambda s: reports.get_report(s, actor, report_id))
    if summary is not None:
        pdf_buttons(summary.pdf_status, summary.pdf_error, polling, "seo",
                    lambda s: report_export.pdf_file(s, actor, report_id),
                    lambda s: report_export.request_pdf(s, actor, report_id))


# --- Keywords, rankings, backlinks --------------------------------------------------------------

def keyword_table(table: pd.DataFrame) -> None:
    st.dataframe(table.drop(columns="found_at"), hide_index=True, width="stretch",
                 column_config={
                     "keyword": st.column_config.TextColumn("Keyword", width="medium"),
                     "score": st.column_config.ProgressColumn(
                         "Weight", format="%.1f", min_value=0,
                         max_value=float(table.score.max() or 1)),
                     "occurrences": "Occurrences", "words": "Words",
                     "density": st.column_config.NumberColumn("Density", format="%.2f%%"),
                     "in_title": "In title", "in_headings": "In headings",
                     "related": st.column_config.TextColumn("Longer phrases", width="large")})


def _day_axis(days: pd.Series) -> dict[str, object]:
    """Ticks on whole days (about eight of them), never at noon: the data is daily."""
    span = (days.max() - days.min()).days if len(days) else 0
    return dict(tickformat="%Y-%m-%d", dtick=86_400_000 * max(1, -(-span // 8)))


def rankings_charts(daily: pd.DataFrame, history: pd.DataFrame) -> None:
    clicks, position = st.columns(2)
    figure = go.Figure(go.Bar(x=daily.day, y=daily.clicks, name="Clicks"))
    figure.update_layout(title="Clicks per day", height=300, margin=dict(t=40, b=10),
                         xaxis=_day_axis(daily.day))
    clicks.plotly_chart(figure, width="stretch", key="seo_clicks_chart")
    figure = go.Figure()
    top = (history.groupby("keyword").clicks.sum().sort_values(ascending=False)
           .head(8).index)
    for keyword in top:
        rows = history[history.keyword == keyword]
        figure.add_scatter(x=rows.checked_at, y=rows.position, name=keyword,
                           mode="lines+markers")
    figure.update_layout(title="Position over time (top keywords by clicks)", height=300,
                         margin=dict(t=40, b=10), xaxis=_day_axis(history.checked_at),
                         yaxis=dict(autorange="reversed", title="Position"))
    position.plotly_chart(figure, width="stretch", key="seo_position_chart")


SOURCES = {"search_console": "Search Console", "semrush": "Semrush", "ahrefs": "Ahrefs",
           "csv": "CSV"}


def rankings_table(history: pd.DataFrame) -> None:
    # Without a previous position there is no change to show (the import stores 0 for it).
    change = history.change.where(history.previous_position.notna())
    st.dataframe(history.assign(source=history.source.map(SOURCES), change=change)
                 .sort_values("checked_at", ascending=False), hide_index=True,
                 width="stretch", column_config={
                     "checked_at": st.column_config.DatetimeColumn("Date", format="YYYY-MM-DD"),
                     "keyword": "Keyword", "url": st.column_config.LinkColumn("Page"),
                     "position": st.column_config.NumberColumn("Position", format="%.1f"),
                     "previous_position": st.column_config.NumberColumn("Previous",
                                                                        format="%.1f"),
                     "change": st.column_config.NumberColumn("Change", format="%+.1f"),
                     "clicks": "Clicks", "impressions": "Impressions",
                     "ctr": st.column_config.NumberColumn("CTR", format="percent"),
                     "source": "From"})


def backlinks_table(links: pd.DataFrame) -> None:
    domains, followed, active = st.columns(3)
    domains.metric("Referring domains", links.source_domain.nunique())
    followed.metric("Followed links", int(links.is_do_follow.sum()))
    active.metric("Active links", int(links.is_active.sum()))
    st.dataframe(links.assign(source=links.source.map(SOURCES)), hide_index=True,
                 width="stretch", column_config={
        "source_url": st.column_config.LinkColumn("Linking page", width="medium"),
        "source_domain": "Domain", "target_url": st.column_config.LinkColumn("Target"),
        "anchor_text": "Anchor", "is_do_follow": "Followed", "is_active": "Active",
        "domain_rating": "Domain rating",
        "first_seen": st.column_config.DatetimeColumn("First seen", format="YYYY-MM-DD"),
        "last_seen": st.column_config.DatetimeColumn("Last seen", format="YYYY-MM-DD"),
        "source": "From"})


def require_file(upload: object) -> bool:
    if upload is None:
        st.warning("Choose a CSV file first.", icon=":material/upload_file:")
    return upload is not None


def import_result(summary: object) -> str:
    from core.seo.imports import ImportSummary

    assert isinstance(summary, ImportSummary)
    again = f" ({summary.replaced} replaced rows of an earlier import)" if summary.replaced \
        else ""
    tool = SOURCES.get(summary.format, summary.format.replace("_", " ").title())
    article = "an" if tool[0] in "AEIOU" else "a"
    return (f"Imported {summary.rows} {summary.kind.removesuffix('s')} rows from {article} "
            f"{tool} export{again}.")
