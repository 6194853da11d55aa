"""Agent jobs: create a job with acceptance criteria, watch it dispatch (live while it works),
and read every call's log beside the criteria it met or missed."""

import streamlit as st

from core.agents import jobs, registry
from ui.agent_views import job_detail, job_form, jobs_table
from ui.auth import acting_user
from ui.messages import perform, rerun_with, show_flash

actor = acting_user()
st.title("Agent jobs")
show_flash()

rows = perform(lambda s: jobs.list_jobs(s, actor)) or []
if actor.can_write:
    with st.expander("New agent job", expanded=not rows, icon=":material/add_task:"):
        agents = perform(lambda s: registry.list_agents(s, actor)) or []
        made = job_form(actor, agents)
        if made:
            rerun_with("Job created and dispatched.", agent_jobs_open=made)
if not rows:
    st.info("No agent jobs yet.", icon=":material/smart_toy:")
    st.stop()
jobs_table(rows)
labels = {j.id: f"{j.name} · {j.created_at:%Y-%m-%d %H:%M:%S}" for j in rows}
chosen = st.selectbox("Open job", list(labels), format_func=labels.get, key="agent_jobs_open")
active = next(j for j in rows if j.id == chosen).working


@st.fragment(run_every="1s" if active else None)
def live() -> None:
    job = perform(lambda s: jobs.get_job(s, actor, chosen))
    if job is None:
        return
    if active and not job.working:
        st.rerun()  # finished: draw once more, without the timer
    job_detail(job)


live()
