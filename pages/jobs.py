"""Scraping jobs: list, create, edit, duplicate, delete, with a live preview of the schedule."""

import streamlit as st

from core.scraping import jobs, runs, schemas
from ui.auth import acting_user
from ui.job_form import job_form, job_summary, schema_choices
from ui.messages import form_key, perform, renew_form, rerun_with, show_flash, succeeded
from ui.runtime import transaction
from ui.text import plain

actor = acting_user()
st.title("Scraping jobs")
st.caption("What to scrape (target URLs), how to extract it (config package, schema, "
           "pagination, options) and when (an optional cron schedule in your time zone).")
show_flash()

with transaction() as session:
    readable = schemas.list_schemas(session, actor)

if actor.can_write:
    with st.expander(":material/add: New job"):
        new = job_form(form_key("jobs_new"), schema_choices(readable))
        created = new and perform(lambda s: jobs.create_job(s, actor, new))
        if created:  # open it, empty the form, say so at the top
            renew_form("jobs_new")
            rerun_with(f"Created '{created.name}'.", jobs_open=created.id)

with transaction() as session:
    table = jobs.list_jobs(session, actor)
st.dataframe(table.drop(columns="id"), hide_index=True, width="stretch", column_config={
    "name": "Name", "owner": "Owner", "schema": "Schema", "pagination": "Pagination",
    "schedule": "Schedule", "targets": st.column_config.NumberColumn("URLs"),
    "first_target": st.column_config.LinkColumn("First target URL"),
    "next_run_at": st.column_config.DatetimeColumn("Next run (UTC)", format="YYYY-MM-DD HH:mm"),
    "updated_at": st.column_config.DatetimeColumn("Updated", format="YYYY-MM-DD HH:mm"),
})
if table.empty:
    st.info("No jobs yet." + (" Create one with New job above." if actor.can_write else ""))
    st.stop()

labels = {row.id: f"{row.name} · {row.owner}" for row in table.itertuples()}
chosen = st.selectbox("Open job", list(labels), format_func=labels.get, key="jobs_open")
detail = perform(lambda s: jobs.get_job(s, actor, chosen))
if detail is None:
    st.stop()

job_summary(detail)
if detail.can_change and st.button("Start run", type="primary", icon=":material/play_arrow:",
                                   key="jobs_start_run"):
    if perform(lambda s: runs.start_run(s, actor, detail.id), "Run started."):
        st.page_link("pages/runs.py", label="Watch it on the Runs page",
                     icon=":material/directions_run:")
if detail.can_change:
    edited = job_form(f"jobs_edit_{detail.id}", schema_choices(readable, detail), detail,
                      "Save changes")
    if edited and perform(lambda s: jobs.update_job(s, actor, detail.id, edited)):
        rerun_with("Saved.")
else:
    st.caption(f"Read-only: owned by {plain(detail.owner_email)}.")
    st.json(perform(lambda s: jobs.job_to_document(s, actor, detail.id)))

copy, delete = st.columns(2)
if actor.can_write and copy.button("Duplicate", key="jobs_duplicate"):
    duplicate = perform(lambda s: jobs.duplicate_job(s, actor, detail.id))
    if duplicate:
        rerun_with(f"Copied as '{duplicate.name}', without its schedule.", jobs_open=duplicate.id)
if detail.can_change:
    sure = delete.checkbox("I want to delete this job, its runs and their results",
                           key=f"jobs_sure_{detail.id}")
    if delete.button("Delete", disabled=not sure, key="jobs_delete") and succeeded(
            lambda s: jobs.delete_job(s, actor, detail.id)):
        rerun_with(f"Deleted '{detail.name}'.")
