"""Architecture advisor: describe a system, get an AWS and/or Azure design checked against the
constraints, with official documentation as evidence; watch both runs iterate live."""

import streamlit as st

from core.advisor import records
from ui.advisor_views import ask_form, choose, show_query
from ui.auth import acting_user
from ui.messages import form_key, perform, show_flash

actor = acting_user()
st.title("Architecture advisor")
st.caption("A supervisor hands your request to four domain generators (compute, storage, "
           "network, database); a reducer combines them, a validator checks the design and cites "
           "official pages, an optimizer sends feedback: at most three refinements.")
show_flash()

if actor.can_write:
    summaries = perform(lambda s: records.recent(s, actor)) or []
    with st.expander(":material/add: New question", expanded=not summaries,
                     key=f"{form_key('advisor_ask')}_box"):
        ask_form(actor)

chosen = choose(perform(lambda s: records.recent(s, actor)) or [])
view = perform(lambda s: records.show(s, actor, chosen)) if chosen else None


@st.fragment(run_every="1s" if view is not None and view.active else None)
def live() -> None:
    """The open question; refreshes every second while one of its runs is working."""
    current = perform(lambda s: records.show(s, actor, chosen)) if chosen else None
    if current is None:
        return
    if view is not None and view.active and not current.active:
        st.rerun()  # both runs ended: redraw once, without the timer (and with the export)
    show_query(actor, current)


live()
