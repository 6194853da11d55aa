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

if figures.my_schemas == 0:
    st.info("Start by defining what you want to extract: create an extractor schema.", icon=":material/data_object:")
    st.page_link("pages/schemas.py", label="Open extractor schemas", icon=":material/arrow_forward:")
