"""How runs look: the runs table (a click on a row opens that run) and one run's progress and
counters."""

from __future__ import annotations

import uuid
import zlib

import pandas as pd
import streamlit as st

from core.scraping import runs
from core.platform.access import Actor
from core.scraping.runs import EarlierRun, RunDetail, RunSummary
from ui.messages import perform, rerun_with
from ui.text import plain
from ui.vocabulary import WORK_STATUS
from vocabularies import WorkStatus


def duration_text(seconds: float | None) -> str | None:
    """under 1 s, 12 s, 3 min 04 s, 2 h 05 min."""
    if seconds is None or pd.isna(seconds):
        return None
    whole = max(0, round(seconds))
    if whole == 0:  # "0 s" read as if nothing had run
        return "under 1 s"
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def runs_table(table: pd.DataFrame) -> None:
    """Statuses in words ("Completed with errors"), durations, a link to each run's results;
    a click on a row opens that run (``runs_open``). The table's key changes with the rows it
    lists, so a new run arriving on top clears the highlight instead of moving it."""
    ids = table.id.tolist()
    key = f"runs_table_{zlib.crc32(repr(ids).encode()):08x}"
    shown = table.assign(status=table.status.map(lambda status: WORK_STATUS[status].label),
                         duration=table.duration.map(duration_text),
                         results=[f"results?run={run_id}" for run_id in ids])
    # Every column fits the page's width (1400 px screens with the sidebar open): widths in
    # pixels, a long job name is cut (its full name heads the run below), counts narrow.
    event = st.dataframe(shown, hide_index=True, width="stretch", key=key, on_select="rerun",
                         selection_mode="single-row", column_order=[
                             "job", "status", "progress", "started_at", "finished_at",
                             "duration", "results", "pages", "items_found", "items_stored",
                             "errors"], column_config={
        "job": st.column_config.TextColumn("Job", width=150),
        "status": st.column_config.TextColumn("Status", width=160),
        "progress": st.column_config.ProgressColumn(
            "Progress", format="%d%%", min_value=0, max_value=100, width=80,
            help="Pages done of the most the run can do; 100 % only when it completed."),
        "started_at": st.column_config.DatetimeColumn("Started", format="MM-DD HH:mm",
                                                      width=88),
        "finished_at": st.column_config.DatetimeColumn("Finished", format="MM-DD HH:mm",
                                                       width=88),
        "duration": st.column_config.TextColumn("Duration", width=64),
        "results": st.column_config.LinkColumn("Results", display_text="Open", width=56),
        "pages": st.column_config.NumberColumn("Pages", width=50),
        "items_found": st.column_config.NumberColumn("Found", width=54, help="Items found"),
        "items_stored": st.column_config.NumberColumn("Stored", width=54,
                                                      help="Items stored"),
        "errors": st.column_config.NumberColumn("Errors", width=50),
    })
    st.caption("Tick a row (its box on the left) to open that run.")
    rows = [row for row in event.selection.rows if row < len(ids)]
    if rows:
        st.session_state["runs_open"] = ids[rows[0]]


def chosen_run(table: pd.DataFrame) -> uuid.UUID:
    """The run last clicked (or linked, or re-run), while it is listed; else the newest."""
    chosen = st.session_state.get("runs_open")
    return chosen if chosen in set(table.id) else table.id.iloc[0]


def run_metrics(run: RunSummary) -> None:
    look = WORK_STATUS[run.status]
    st.subheader(f"{look.icon} {plain(run.job_name)} — {plain(look.label.lower())}")
    took = duration_text(run.duration_seconds)
    st.caption(plain(f"Started {run.started_at:%Y-%m-%d %H:%M:%S} UTC · "
                     + (f"running for {took}" if run.active else f"took {took}"))
               if run.started_at else "Queued: waiting for a worker.")
    st.progress(run.done_share,
                text=plain(run.progress_words(WORK_STATUS[run.status].label)))
    pages, found, stored, errors = st.columns(4)
    pages.metric("Pages fetched", run.pages_fetched)
    found.metric("Items found", run.items_found)
    stored.metric("Items stored", run.items_extracted)
    errors.metric("Errors", run.errors_count)
    if not run.active and run.already_stored:
        already_stored(run)
    if run.meta.get("items_invalid"):
        st.warning(f"{plain(run.meta['items_invalid'])} items broke the strict schema and were not "
                   "stored; see the validation events.")
    if run.status in (WorkStatus.STOPPED_BUDGET, WorkStatus.STOPPED_CAP):
        st.warning(plain(look.text), icon=look.icon)
        if run.error_message:
            st.caption(plain(run.error_message))
    elif run.error_message and run.status == WorkStatus.COMPLETED_WITH_ERRORS:
        st.warning(plain(run.error_message), icon=":material/warning:")
    elif run.error_message:
        st.error(plain(run.error_message))
    if run.cancel_requested and run.active:
        st.info("Cancel requested: the run stops within about a second, keeping what it found.")


def run_name(created_at: object) -> str:
    return f"the run of {created_at:%Y-%m-%d %H:%M:%S}"


def open_results(run_id: object, label: str) -> None:
    """A link that opens the Results page on this run."""
    st.page_link("pages/results.py", label=plain(label), icon=":material/table:",
                 query_params={"run": str(run_id)})


def already_stored_text(run: RunSummary, earlier: tuple[EarlierRun, ...]) -> str:
    """"36 found, all already stored by the run of …": why a run stored fewer items than found."""
    by = ", ".join(f"{run_name(e.created_at)} ({e.items})" if len(earlier) > 1
                   else run_name(e.created_at) for e in earlier)
    repeated = sum(e.items for e in earlier)
    if run.items_extracted == 0:
        return f"{run.items_found} found, all already stored by {by}."
    return (f"{run.items_found} found: {run.items_extracted} new, {repeated} already stored by "
            f"{by}.")


def already_stored(run: RunSummary) -> None:
    st.info(plain(already_stored_text(run, run.already_stored)),
            icon=":material/inventory_2:")
    first = run.already_stored[0]
    open_results(first.id, f"Open the results of {run_name(first.created_at)}")


def run_actions(actor: Actor, run: RunSummary) -> None:
    open_results(run.id, "Open its results")
    if run.active:
        if st.button("Cancel run", key="runs_cancel", type="primary", icon=":material/stop:"):
            perform(lambda s: runs.cancel_run(s, actor, run.id), "Cancel requested.")
    elif st.button("Re-run", key="runs_rerun", icon=":material/replay:"):
        started = perform(lambda s: runs.rerun(s, actor, run.id))
        if started:
            rerun_with("Started a new run.", runs_open=started.id)


def url_errors(detail: RunDetail) -> None:
    """The URLs that failed, each with its status and error. (Everything else the run did is
    in the workflow panel's event log, in sentences.)"""
    st.subheader(f"Errors per URL ({len(detail.url_errors)})", divider="gray")
    if not len(detail.url_errors):
        st.caption("No URL failed.")
        return
    st.dataframe(detail.url_errors, hide_index=True, width="stretch", column_config={
        "url": st.column_config.TextColumn("URL", width="large"), "status_code": "Status",
        "error": st.column_config.TextColumn("Error", width="large"),
        "at": st.column_config.DatetimeColumn("At", format="HH:mm:ss")})
