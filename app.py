"""ScrapeDeck: the app shell. Signs the user in, then shows the pages their role may use."""

import streamlit as st

from ui.auth import current_actor, sidebar_account, sign_in_form

st.set_page_config(page_title="ScrapeDeck", page_icon="🕸️", layout="wide")

actor = current_actor()
if actor is None:
    sign_in_form()
    st.stop()

sidebar_account(actor)
sections = {
    "Monitor": [
        st.Page("pages/overview.py", title="Overview", icon="📊", default=True),
        st.Page("pages/runs.py", title="Runs", icon="🏃"),
    ],
    "Data": [st.Page("pages/schemas.py", title="Extractor schemas", icon="🧩")],
}
if actor.is_admin:
    sections["Admin"] = [
        st.Page("pages/users.py", title="Users", icon="👥"),
        st.Page("pages/audit_log.py", title="Audit log", icon="📜"),
    ]
st.navigation(sections).run()
