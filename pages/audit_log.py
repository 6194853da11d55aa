"""Audit log (admins): every admin action, schema and job change, run, cancel, export, build,
SEO crawl and SEO audit — by name, with its changes field by field; filterable."""

from datetime import datetime, time, timedelta, timezone

import streamlit as st

from core.platform import audit
from core.platform.words import counted
from ui.audit_views import entries_table, entry_detail
from ui.auth import acting_user
from ui.runtime import transaction
from ui.text import plain

actor = acting_user()
st.title("Audit log")

who, action, entity, days = st.columns([2, 2, 2, 2])
actor_email = who.text_input("Who (email contains)", key="audit_who")
with transaction() as session:
    actions = audit.known_actions(session, actor)
    entity_types = audit.known_entity_types(session, actor)
chosen_action = action.selectbox("Action", ["", *actions], key="audit_action",
                                 format_func=lambda a: a or "any")
entity_type = entity.selectbox("Record type", ["", *entity_types], key="audit_entity",
                               format_func=lambda e: e.replace("_", " ") if e else "any")
period = days.date_input("Between", value=(datetime.now(timezone.utc).date() - timedelta(days=30),
                                            datetime.now(timezone.utc).date()), key="audit_period")
start, end = period if len(period) == 2 else (period[0], period[0])

flt = audit.AuditFilter(
    actor_email=actor_email, action=chosen_action, entity_type=entity_type,
    since=datetime.combine(start, time.min, timezone.utc),
    until=datetime.combine(end, time.min, timezone.utc) + timedelta(days=1))
with transaction() as session:
    entries = audit.list_entries(session, actor, flt)

st.caption(f"{plain(counted(len(entries), 'entry', 'entries'))} (newest first, at most "
           f"{plain(flt.limit)}). Tick a row (its box on the left) to see every field it changed, "
           "in full.")
chosen = entries_table(entries)
if chosen is not None:
    entry_detail(chosen)
