"""How runs look: the runs table and one run's progress and counters."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import runs
from core.access import Actor
from core.runs import RunDetail, RunSummary
from ui.messages import perform, rerun_with

# Material icons ship with Streamlit, so they render even where no emoji font is installed.
STATUS_ICONS = {"queued": ":material/schedule:", "running": ":material/sync:",
                "completed": ":material/check_circle:", "failed": ":material/error:",
                "canceled": ":material/stop_circle:"}


def runs_table(table: pd.DataFrame) -> None:
    st.dataframe(table.drop(columns="id"), hide_index=True, width="stretch", column_config={
        "job": st.column_config.TextColumn("Job", width="medium"),
        "status": st.column_config.TextColumn("Status", width="small"),
        "pages": "Pages", "items_found": "Items found", "errors": "Errors",
        "progress": st.column_config.ProgressColumn("Progress", format="%d%%", min_value=0,
                                                    max_value=100),
        "items_stored": st.column_config.NumberColumn("Items stored"),
        "created_at": st.column_config.DatetimeColumn("Created", format="YYYY-MM-DD HH:mm:ss"),
        "started_at": st.column_config.DatetimeColumn("Started", format="HH:mm:ss"),
        "finished_at": st.column_config.DatetimeColumn("Finished", format="HH:mm:ss"),
    })


def run_metrics(run: RunSummary) -> None:
    st.subheader(f"{STATUS_ICONS.get(run.status, '')} {run.job_name} — {run.status}")
    if not run.urls_total:
        total = "starting…"
    elif run.active:  # pagination may still find pages: say what is known, not a promise
        total = f"{run.urls_processed} of {run.urls_total} pages found so far"
    else:
        total = f"{run.urls_processed} pages"
    st.progress(run.progress_percent / 100, text=f"{run.progress_percent}% · {total}")
    pages, found, stored, errors = st.columns(4)
    pages.metric("Pages fetched", run.pages_fetched)
    found.metric("Items found", run.items_found)
    stored.metric("Items stored", run.items_extracted)
    errors.metric("Errors", run.errors_count)
    if run.meta.get("items_invalid"):
        st.warning(f"{run.meta['items_invalid']} items broke the strict schema and were not "
                   "stored; see the validation events.")
    if run.error_message:
        st.error(run.error_message)
    if run.cancel_requested and run.active:
        st.info("Cancel requested: the run stops at its next page.")


def run_actions(actor: Actor, run: RunSummary) -> None:
    if run.active:
        if st.button("Cancel run", key="runs_cancel", type="primary", icon=":material/stop:"):
            perform(lambda s: runs.cancel_run(s, actor, run.id), "Cancel requested.")
    elif st.button("Re-run", key="runs_rerun", icon=":material/replay:"):
        started = perform(lambda s: runs.rerun(s, actor, run.id))
        if started:
            rerun_with("Started a new run.", runs_open=started.id)


def run_detail_tabs(detail: RunDetail) -> None:
    errors, events = st.tabs([f"Errors per URL ({len(detail.url_errors)})", "Events"])
    errors.dataframe(detail.url_errors, hide_index=True, width="stretch", column_config={
        "url": st.column_config.TextColumn("URL", width="large"), "status_code": "Status",
        "error": st.column_config.TextColumn("Error", width="large"),
        "at": st.column_config.DatetimeColumn("At", format="HH:mm:ss")})
    events.dataframe(detail.events, hide_index=True, width="stretch", column_config={
        "at": st.column_config.DatetimeColumn("At", format="HH:mm:ss.SSS"), "event": "Event",
        "node": "Step", "payload": st.column_config.JsonColumn("Details", width="large")})
