"""How runs look: the runs table and one run's progress and counters."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.runs import RunSummary

# Material icons ship with Streamlit, so they render even where no emoji font is installed.
STATUS_ICONS = {"queued": ":material/schedule:", "running": ":material/sync:",
                "completed": ":material/check_circle:", "failed": ":material/error:",
                "canceled": ":material/stop_circle:"}


def runs_table(table: pd.DataFrame) -> None:
    st.dataframe(table.drop(columns="id"), hide_index=True, width="stretch", column_config={
        "progress": st.column_config.ProgressColumn("Progress", format="%d%%", min_value=0,
                                                    max_value=100),
        "items_stored": st.column_config.NumberColumn("Items stored"),
        "created_at": st.column_config.DatetimeColumn("Created", format="YYYY-MM-DD HH:mm:ss"),
        "started_at": st.column_config.DatetimeColumn("Started", format="HH:mm:ss"),
        "finished_at": st.column_config.DatetimeColumn("Finished", format="HH:mm:ss"),
    })


def run_metrics(run: RunSummary) -> None:
    st.subheader(f"{STATUS_ICONS.get(run.status, '')} {run.job_name} — {run.status}")
    total = f"{run.urls_processed} of {run.urls_total} pages" if run.urls_total else "starting…"
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
