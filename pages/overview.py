"""Overview: what the signed-in user has in ScrapeDeck so far, and their latest work. On day one
(nothing made yet) it starts them at the Objective builder."""

import streamlit as st

from core.scraping.overview import overview, recent_work
from ui import cost_views
from ui.auth import acting_user
from ui.overview_views import first_steps, recent_lists
from ui.runtime import transaction
from ui.text import plain

actor = acting_user()
with transaction() as session:
    figures = overview(session, actor)
    recent = recent_work(session, actor)

st.title("Overview")
st.caption(f"Welcome, {plain(actor.name)}.")
scraping = figures.scraping
if scraping.jobs == 0 and recent.empty:
    first_steps()
jobs, scheduled, active, items = st.columns(4)
jobs.metric("My jobs", scraping.jobs)
scheduled.metric("Scheduled jobs", scraping.scheduled_jobs)
active.metric("Runs in progress", scraping.active_runs)
items.metric("Items stored", f"{scraping.items_stored:,}")
day, failed, lossy, _ = st.columns(4)
day.metric("Runs (24 h)", scraping.runs_24h)
failed.metric("Failed runs (24 h)", scraping.failed_runs_24h + scraping.runs_with_errors_24h,
              help=f"{scraping.failed_runs_24h:d} failed outright, {scraping.runs_with_errors_24h:d} "
              "completed but lost some pages.")
lossy.metric("Completed with errors (24 h)", scraping.runs_with_errors_24h,
             help="Runs that went through but lost some pages; see their errors on Runs.")
if not recent.empty:
    recent_lists(recent)

st.subheader("Costs")
cost_views.month_against_budget(actor)

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
