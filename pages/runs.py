"""Runs: a live list and detail (progress, counters, errors per URL, events); cancel; re-run."""

import streamlit as st

from core import runs
from ui.auth import acting_user
from ui.messages import perform
from ui.run_views import run_metrics, runs_table

actor = acting_user()
st.title("Runs")

listing = perform(lambda s: runs.live_runs(s, actor))
if listing is None or listing.empty:
    st.info("No runs yet. Start one from a job on the Jobs page.", icon=":material/work:")
    st.stop()
any_active = bool(listing.status.isin(runs.ACTIVE).any())


@st.fragment(run_every="1s" if any_active else None)
def live_list() -> None:
    table = perform(lambda s: runs.live_runs(s, actor))
    if table is not None:
        runs_table(table)


live_list()
labels = {row.id: f"{row.job} · {row.status} · {row.created_at:%Y-%m-%d %H:%M:%S}"
          for row in listing.itertuples()}
chosen = st.selectbox("Open run", list(labels), format_func=labels.get, key="runs_open")


@st.fragment(run_every="1s" if any_active else None)
def live_detail() -> None:
    detail = perform(lambda s: runs.run_detail(s, actor, chosen))
    if detail is None:
        return
    run_metrics(detail.run)
    cancel, again = st.columns(2)
    if detail.run.active and cancel.button("Cancel run", key="runs_cancel", type="primary"):
        perform(lambda s: runs.cancel_run(s, actor, chosen), "Cancel requested.")
    if not detail.run.active and again.button("Re-run", key="runs_rerun"):
        if perform(lambda s: runs.rerun(s, actor, chosen), "Started a new run."):
            st.rerun()
    errors, events = st.tabs([f"Errors per URL ({len(detail.url_errors)})", "Events"])
    errors.dataframe(detail.url_errors, hide_index=True, width="stretch")
    events.dataframe(detail.events, hide_index=True, width="stretch",
                     column_config={"payload": st.column_config.JsonColumn("Details")})


live_detail()
