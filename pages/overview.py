"""Overview: what the signed-in user has in ScrapeDeck so far."""

import streamlit as st

from core.overview import overview
from ui.auth import acting_user
from ui.runtime import transaction

actor = acting_user()
with transaction() as session:
    figures = overview(session, actor)

st.title("Overview")
st.caption(f"Welcome, {actor.name}.")
scraping = figures.scraping
if scraping.jobs == 0:
    st.info("Start by defining what to scrape: create a job (and, optionally, a schema its "
            "items must match).", icon=":material/work:")
    st.page_link("pages/jobs.py", label="Open jobs", icon=":material/arrow_forward:")
jobs, scheduled, active, items = st.columns(4)
jobs.metric("My jobs", scraping.jobs)
scheduled.metric("Scheduled jobs", scraping.scheduled_jobs)
active.metric("Runs in progress", scraping.active_runs)
items.metric("Items stored", f"{scraping.items_stored:,}")
day, failed, _, _ = st.columns(4)
day.metric("Runs (24 h)", scraping.runs_24h)
failed.metric("Failed runs (24 h)", scraping.failed_runs_24h)

st.subheader("Schemas")
mine, public, versions = st.columns(3)
mine.metric("My extractor schemas", figures.my_schemas)
public.metric("Public schemas", figures.public_schemas)
versions.metric("Schema versions I can use", figures.schema_versions)

if figures.admin is not None:
    st.subheader("Accounts")
    active, suspended, ok, failed = st.columns(4)
    active.metric("Active users", figures.admin.active_users)
    suspended.metric("Suspended users", figures.admin.suspended_users)
    ok.metric("Sign-ins (24 h)", figures.admin.sign_ins_24h)
    failed.metric("Failed sign-ins (24 h)", figures.admin.failed_sign_ins_24h)

