"""ScrapeDeck: the app shell. Signs the user in, then shows the pages their role may use."""

import streamlit as st

from ui.auth import current_actor, sidebar_account, sign_in_form
from ui.cost_views import unread_badge

st.set_page_config(page_title="ScrapeDeck", page_icon=":material/hub:", layout="wide")

actor = current_actor()
if actor is None:
    # A navigation of one hidden page: without it Streamlit would list every file in pages/.
    st.navigation([st.Page(sign_in_form, title="Sign in", icon=":material/lock:")],
                  position="hidden").run()
    st.stop()

sidebar_account(actor)
unread_badge(actor)
sections = {
    "Monitor": [
        st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page("pages/runs.py", title="Runs", icon=":material/directions_run:"),
        st.Page("pages/costs.py", title="Costs", icon=":material/payments:"),
    ],
    "Data": [
        # The builder first: it is where a new user starts (it makes the schema and the job).
        st.Page("pages/builder.py", title="Objective builder", icon=":material/build:"),
        st.Page("pages/schemas.py", title="Extractor schemas", icon=":material/data_object:"),
        st.Page("pages/knowledge_base.py", title="Knowledge base", icon=":material/school:"),
        st.Page("pages/jobs.py", title="Jobs", icon=":material/work:"),
        st.Page("pages/results.py", title="Results", icon=":material/table:"),
    ],
    "SEO": [
        st.Page("pages/seo_audit.py", title="SEO audit", icon=":material/troubleshoot:"),
        st.Page("pages/seo_crawl.py", title="Site crawl", icon=":material/travel_explore:"),
        st.Page("pages/seo_keywords.py", title="Keywords and backlinks", icon=":material/key:"),
    ],
    "Agents": [
        st.Page("pages/agents.py", title="Agents", icon=":material/robot_2:"),
        st.Page("pages/agent_jobs.py", title="Agent jobs", icon=":material/assignment:"),
    ],
    "Architecture": [
        st.Page("pages/advisor.py", title="Architecture advisor", icon=":material/architecture:"),
    ],
    "Settings": [
        st.Page("pages/model_provider.py", title="Model provider", icon=":material/smart_toy:"),
    ],
}
if actor.is_admin:
    sections["Admin"] = [
        st.Page("pages/users.py", title="Users", icon=":material/group:"),
        st.Page("pages/audit_log.py", title="Audit log", icon=":material/history:"),
    ]
st.navigation(sections, expanded=True).run()  # all pages listed: no "View 3 more" fold
