"""How SEO site crawls look: the start form, live progress, findings grouped by template, the
pages table, the trend of issue counts and the changes since the previous crawl."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.platform.access import Actor
from core.platform.words import counted
from core.seo import crawls
from core.seo.crawls import CrawlDiff, CrawlReport, CrawlSummary
from ui.messages import form_key, perform, renew_form, rerun_with
from ui.text import plain
from ui.vocabulary import SEVERITY, WORK_STATUS
from vocabularies import WorkStatus


def start_form(actor: Actor, limit: int, default_delay: float) -> None:
    """URL, page budget, delay, concurrency; a started crawl opens with a message."""
    with st.form(form_key("seo_crawl_new")):
        url = st.text_input("Start URL", placeholder="https://shop.example/")
        pages, delay, concurrency = st.columns(3)
        max_pages = pages.number_input("Max pages", 1, limit, min(100, limit), step=10)
        pause = delay.number_input("Delay between requests (s)", 0.0, 60.0, default_delay, 0.5)
        parallel = concurrency.number_input("Concurrency", 1, 64, crawls.DEFAULT_CONCURRENCY)
        robots = st.checkbox("Obey robots.txt", value=True)
        render = st.checkbox("Render JavaScript in Chromium (much slower)", value=False)
        if not st.form_submit_button("Start crawl", type="primary", icon=":material/travel_explore:"):
            return
    options = {"delay": float(pause), "concurrency": int(parallel), "respect_robots": robots,
               "render": render}
    started = perform(lambda s: crawls.start_crawl(s, actor, url, int(max_pages), options))
    if started:
        renew_form("seo_crawl_new")
        rerun_with(f"Crawl of {started.start_url} started.", seo_crawl_open=started.id)


def _heading(key: str) -> str:
    """'linked_from' → 'Linked from': evidence columns differ from one finding to the next."""
    return key.replace("_", " ").capitalize()


def crawls_table(table: pd.DataFrame) -> None:
    shown = table.drop(columns="id").assign(
        status=table.status.map(lambda status: WORK_STATUS[status].label))
    st.dataframe(shown, hide_index=True, width="stretch", column_config={
        "start_url": st.column_config.TextColumn("Start URL", width="large"),
        "status": "Status", "pages": "Pages", "errors": "Errors", "findings": "Findings",
        "created_at": st.column_config.DatetimeColumn("Started", format="YYYY-MM-DD HH:mm:ss"),
        "finished_at": st.column_config.DatetimeColumn("Finished", format="HH:mm:ss")})


def progress(actor: Actor, crawl: CrawlSummary) -> None:
    look = WORK_STATUS[crawl.status]
    st.subheader(f"{look.icon} {plain(crawl.start_url)} — {plain(look.label.lower())}")
    st.progress(crawl.progress_percent / 100,
                text=f"{crawl.pages_crawled} pages · at most {crawl.max_pages} requests (a "
                "redirect and the page it leads to count as two pages, one request)")
    pages, errors, findings, score = st.columns(4)
    pages.metric("Pages crawled", crawl.pages_crawled)
    errors.metric("Errors", crawl.errors_count)
    findings.metric("Findings", crawl.findings_count)
    average = crawl.summary.get("average_score")
    score.metric("Average page score", "–" if average is None else f"{average}/100")
    if crawl.status == WorkStatus.STOPPED_BUDGET:
        st.warning(plain(look.text), icon=look.icon)
        st.caption(plain(crawl.error_message or ""))
    elif crawl.error_message:
        st.error(plain(crawl.error_message), icon=":material/error:")
    for note in crawl.summary.get("not_checked", []):
        st.caption(f"Not checked: {plain(note)}")
    if crawl.active and not crawl.cancel_requested and st.button(
            "Cancel crawl", key="seo_crawl_cancel", icon=":material/stop:"):
        perform(lambda s: crawls.cancel_crawl(s, actor, crawl.id), "Cancel requested.")
    elif crawl.cancel_requested and crawl.active:
        st.info("Cancel requested: the crawl stops within a second.")


def report_tabs(report: CrawlReport) -> None:
    found, pages, trend, changes = st.tabs([
        f"Findings ({len(report.findings)})", f"Pages ({len(report.pages)})", "Trend",
        "Changes since the previous crawl"])
    with found:
        findings(report.findings)
    text = ["title", "why_not_indexable", "redirects_to", "error"]
    shown = report.pages.assign(**{c: report.pages[c].fillna("") for c in text})  # no "None"
    pages.dataframe(shown, hide_index=True, width="stretch", column_config={
        "url": st.column_config.LinkColumn("URL", width="large"), "status": "Status",
        "depth": "Depth", "title": st.column_config.TextColumn("Title", width="medium"),
        "indexable": "Indexable",
        "score": st.column_config.ProgressColumn("Score", min_value=0, max_value=100, format="%d"),
        "why_not_indexable": "Why not indexable", "inlinks": "Inlinks", "words": "Words",
        "response_ms": "Response (ms)", "in_sitemap": "In sitemap",
        "redirects_to": "Redirects to", "error": "Error"})
    with trend:
        history_chart(report.history)
    with changes:
        diff_view(report.diff)


def findings(table: pd.DataFrame) -> None:
    if table.empty:
        st.success("No site-level problems found.", icon=":material/check_circle:")
        return
    for row in table.itertuples():
        label = f"{row.title} · {counted(row.count, 'URL')}"
        severity = SEVERITY[row.severity]
        with st.expander(plain(label), icon=severity.icon):
            st.markdown(f"**{plain(severity.label)}** · {plain(row.finding)} — "
                        f"{plain(row.recommendation)}")
            items = pd.DataFrame(row.evidence.get("items", []))
            st.dataframe(items, hide_index=True, width="stretch", column_config={
                **{c: _heading(c) for c in items.columns},
                "url": st.column_config.TextColumn("URL", width="large"),
                "status": st.column_config.NumberColumn("HTTP status", format="%d"),
                "linked_from": st.column_config.ListColumn("Linked from")})


def history_chart(history: pd.DataFrame) -> None:
    if history.crawl_id.nunique() < 2:
        st.info("Crawl this site again to see how its issue counts change.",
                icon=":material/show_chart:")
        return
    # One point per crawl, labelled by when it finished (a time axis ticks in seconds when two
    # crawls are close together).
    when = history.finished_at.dt.strftime("%Y-%m-%d %H:%M:%S")
    st.line_chart(history.assign(finished_at=when).pivot_table(
        index="finished_at", columns="finding", values="issues", fill_value=0),
        x_label="Crawl finished at", y_label="URLs affected")


def diff_view(diff: CrawlDiff) -> None:
    if diff.previous_id is None:
        st.info("This is the first finished crawl of this site.", icon=":material/compare:")
        return
    new, fixed, persisting = st.columns(3)
    new.metric("New issues", len(diff.new))
    fixed.metric("Fixed issues", len(diff.fixed))
    persisting.metric("Persisting issues", len(diff.persisting))
    for title, table in (("New", diff.new), ("Fixed", diff.fixed),
                         ("Persisting", diff.persisting)):
        if not table.empty:
            st.caption(plain(title))
            st.dataframe(table, hide_index=True, width="stretch",
                         column_order=["title", "url", "detail"], column_config={
                             "title": "Finding", "url": st.column_config.TextColumn(
                                 "URL", width="medium"),
                             "detail": st.column_config.TextColumn("Details", width="large")})
