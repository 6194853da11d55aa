"""Agents: the registry of agents (built in and registered), each with its record from its own
job logs; register one by hand, from a file, or from its agent card."""

import streamlit as st

from core.agents import registry
from ui.agent_views import agent_detail, agents_table, register_forms
from ui.auth import acting_user
from ui.messages import perform, show_flash

actor = acting_user()
st.title("Agents")
st.caption("An agent takes a JSON input and returns a JSON output: an HTTP endpoint you "
           "register, or one of ScrapeDeck's own capabilities. Its record comes from its calls.")
show_flash()

agents = perform(lambda s: registry.list_agents(s, actor)) or []
agents_table(agents)
if agents:
    names = {a.id: f"{a.name} ({a.kind})" for a in agents}
    chosen = st.selectbox("Open agent", list(names), format_func=names.get, key="agents_open")
    agent_detail(next(a for a in agents if a.id == chosen))
if actor.can_write:
    with st.expander("Register an agent", icon=":material/add:"):
        register_forms(actor)
