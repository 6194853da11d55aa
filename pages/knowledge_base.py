"""Knowledge base: the confirmed packages new builds start from (same site first, then a similar
objective); share yours with every user's builds, or forget one."""

import streamlit as st

from core.builder import knowledge
from ui.auth import acting_user
from ui.messages import perform, rerun_with, show_flash, succeeded

actor = acting_user()
st.title("Knowledge base")
st.caption("Every confirmed build is remembered here. A new build starts from the entry for the "
           "same site, else from the one with the most similar objective, and says so.")
show_flash()

table = perform(lambda s: knowledge.list_entries(s, actor))
if table is None or table.empty:
    st.info("Nothing yet: confirm a build on the Objective builder page.",
            icon=":material/school:")
    st.stop()
st.dataframe(table.drop(columns="id"), hide_index=True, width="stretch", column_config={
    "objective": st.column_config.TextColumn("Objective", width="medium"), "sites": "Sites",
    "fields": st.column_config.TextColumn("Fields", width="medium"), "usage_count": st.column_config.NumberColumn("Builds started from it"),
    "is_public": st.column_config.CheckboxColumn("Shared"), "owner": "Owner",
    "created_at": st.column_config.DatetimeColumn("Confirmed", format="YYYY-MM-DD HH:mm")})

mine = table if actor.is_admin else table[table.owner == actor.email]
if mine.empty or not actor.can_write:
    st.stop()
st.subheader("Share or forget an entry")
labels = {row.id: f"{row.objective[:70]} · {row.sites}" for row in mine.itertuples()}
chosen = st.selectbox("Entry", list(labels), format_func=labels.get, key="kb_open")
shared = bool(mine.set_index("id").loc[chosen, "is_public"])
share, forget = st.columns(2)
if share.button("Stop sharing" if shared else "Share with everyone", key="kb_share",
                icon=":material/share:"):
    if succeeded(lambda s: knowledge.set_public(s, actor, chosen, not shared)):
        rerun_with("No longer shared." if shared else "Shared: every user's builds can start "
                   "from it.")
sure = forget.checkbox("I want to forget this entry", key=f"kb_sure_{chosen}")
if forget.button("Forget", disabled=not sure, key="kb_forget", icon=":material/delete:"):
    if succeeded(lambda s: knowledge.delete_entry(s, actor, chosen)):
        rerun_with("Forgotten.")
