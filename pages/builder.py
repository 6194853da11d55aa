"""Objective builder: an objective and sample pages → a proposed schema and package, samples,
corrections, confirm, then a schema and a job. The worker does the fetching and analysis; this
page polls the build's status with a fragment while it works."""

import streamlit as st

from core.builder import builds
from ui import cost_views
from ui.auth import acting_user
from ui.build_views import (build_status, builds_table, confirm, feedback, iterations,
                            new_build_form, next_steps, samples)
from ui.links import open_linked
from ui.field_evidence_views import build_field_evidence
from ui.messages import form_key, perform, renew_form, rerun_with, show_flash
from ui.workflow_views import build_workflow

actor = acting_user()
st.title("Objective builder")
st.caption("Say what you want and give a few sample pages: ScrapeDeck proposes a schema and a "
           "config package, shows what it finds on every sample, learns from your corrections "
           "and remembers what worked for the next build.")
show_flash()

table = perform(lambda s: builds.list_builds(s, actor))
if actor.can_write:
    # Keyed like the form: after a build starts, a new (closed) expander replaces the open one.
    # Open while there is no build yet: a new user starts here.
    with st.expander("New build", icon=":material/add:", key=f"{form_key('builder_new')}_box",
                     expanded=table is not None and table.empty):
        new = new_build_form(form_key("builder_new"))
        created = new and perform(lambda s: builds.create_build(s, actor, new))
        if created:
            renew_form("builder_new")
            rerun_with("Build started: the samples are being fetched.", builder_open=created.id)

if table is None or table.empty:
    st.info("No builds yet." + (" Start one with New build above." if actor.can_write else ""),
            icon=":material/build:")
    st.stop()
builds_table(table)
labels = {row.id: f"{row.objective[:70]} · {row.created_at:%Y-%m-%d %H:%M}"
          for row in table.itertuples()}
open_linked("build", "builder_open", labels)  # ?build=<id>: a link from the Overview
chosen = st.selectbox("Open build", list(labels), format_func=labels.get, key="builder_open")
opened = perform(lambda s: builds.get_build(s, actor, chosen))
if opened is None:
    st.stop()


@st.fragment(run_every="1s" if opened.working else None)
def live() -> None:
    """The status, refreshed every second while the worker is at it; one full redraw when done."""
    build = perform(lambda s: builds.live_build(s, actor, chosen))
    if build is None:
        return
    if opened.working and not build.working:
        st.rerun()
    build_status(build)


live()
cost_views.work_cost(actor, build_id=opened.id)
if not opened.working:
    next_steps(actor, opened)
    samples(opened)
    build_field_evidence(opened)
    if opened.status == builds.BuildStatus.PENDING_USER_FEEDBACK and opened.can_change:
        feedback(actor, opened, perform(lambda s: builds.model_available(s, opened.owner_id)))
    confirm(actor, opened)
if opened.iterations:
    with st.expander(f":material/history: Iterations ({len(opened.iterations)})"):
        iterations(actor, opened)
with st.expander(":material/account_tree: Workflow: graph, timeline and events", expanded=True):
    build_workflow(actor, opened.id, table)
