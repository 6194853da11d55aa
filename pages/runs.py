"""Runs: a live list and detail (progress, counters, errors per URL, events); cancel; re-run."""

import streamlit as st

from core import runs
from ui.auth import acting_user
from ui.messages import perform, show_flash
from ui.run_views import run_actions, run_detail_tabs, run_metrics, runs_table

actor = acting_user()
st.title("Runs")
show_flash()

polling = bool(perform(lambda s: runs.has_active_runs(s, actor)))


@st.fragment(run_every="1s" if polling else None)
def live() -> None:
    """List and detail from one refresh; polls only while some run is queued or running."""
    table = perform(lambda s: runs.live_runs(s, actor))
    if table is None:
        return
    if table.empty:
        st.info("No runs yet. Start one from a job on the Jobs page.", icon=":material/work:")
        return
    if polling and not table.status.isin(runs.ACTIVE).any():
        st.rerun()  # the last active run ended: redraw once, without the timer
    runs_table(table)
    # Labels hold nothing that changes (not the status): a select box keeps showing the label
    # it first drew for the chosen option.
    labels = {row.id: f"{row.job} · started {row.created_at:%Y-%m-%d %H:%M:%S}"
              for row in table.itertuples()}
    chosen = st.selectbox("Open run", list(labels), format_func=labels.get, key="runs_open")
    detail = perform(lambda s: runs.run_detail(s, actor, chosen))
    if detail is not None:
        run_metrics(detail.run)
        run_actions(actor, detail.run)
        run_detail_tabs(detail)


live()
