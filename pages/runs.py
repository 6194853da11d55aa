"""Runs: a live list and detail (progress, counters, errors per URL, events); cancel; re-run.
A click on a row opens that run; ``?run=<id>`` (a link from the Overview) opens it too."""

import streamlit as st

from core.scraping import runs
from ui import cost_views
from ui.auth import acting_user
from ui.links import open_linked
from ui.field_evidence_views import finished_run_flags
from ui.messages import perform, show_flash
from ui.run_views import chosen_run, run_actions, run_metrics, runs_table, url_errors
from ui.workflow_views import run_workflow

actor = acting_user()
st.title("Runs")
show_flash()
open_linked("run", "runs_open")

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
    if polling and not table.status.isin(runs.WorkStatus.ACTIVE).any():
        st.rerun()  # the last active run ended: redraw once, without the timer
    runs_table(table)
    chosen = chosen_run(table)
    detail = perform(lambda s: runs.run_detail(s, actor, chosen))
    if detail is not None:
        run_metrics(detail.run)
        cost_views.work_cost(actor, run_id=detail.run.id)
        run_actions(actor, detail.run)
        finished_run_flags(actor, detail.run)
        st.subheader("Workflow", divider="gray")
        run_workflow(actor, detail.run.id, detail.run.job_id)
        url_errors(detail)


live()
