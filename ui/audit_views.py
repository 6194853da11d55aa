"""Widgets of the Audit log page: the entries table (names, not ids; changes in words) and the
full changes of the entry whose row is clicked. Names and values are shown as data (dataframe
cells), never as Markdown."""

from __future__ import annotations

import pandas as pd
import streamlit as st


def _who(row: pd.Series) -> str:
    return f"{row.who_name} ({row.who})" if row.who_name else str(row.who)


def entries_table(entries: pd.DataFrame) -> pd.Series | None:
    """One row per entry; returns the entry whose row was clicked."""
    shown = pd.DataFrame({
        "when": entries["when"], "who": entries.apply(_who, axis=1) if len(entries) else [],
        "action": entries["action"], "record": entries["record"],
        "changes": entries["changes"].map(lambda found: "; ".join(map(str, found))),
    })
    event = st.dataframe(shown, hide_index=True, width="stretch", key="audit_table",
                         on_select="rerun", selection_mode="single-row", column_config={
                             "when": st.column_config.DatetimeColumn(
                                 "When", format="YYYY-MM-DD HH:mm:ss"),
                             "who": st.column_config.TextColumn("Who"),
                             "action": st.column_config.TextColumn("Action"),
                             "record": st.column_config.TextColumn("Record", width="medium"),
                             "changes": st.column_config.TextColumn("Changes", width="large"),
                         })
    rows = [r for r in event.selection.rows if r < len(entries)]
    return entries.iloc[rows[0]] if rows else None


def entry_detail(entry: pd.Series) -> None:
    st.subheader("Changes", divider="gray")
    st.text(f"{entry.when:%Y-%m-%d %H:%M:%S} UTC · {_who(entry)} · {entry.action} · "
            f"{entry.record}")
    if not entry.changes:
        st.caption("This entry records the action only; no values changed.")
        return
    st.dataframe(pd.DataFrame([(c.field, c.before, c.after) for c in entry.changes],
                              columns=["field", "before", "after"]),
                 hide_index=True, width="stretch", column_config={
                     "field": "Field", "before": st.column_config.TextColumn("Before", width="large"),
                     "after": st.column_config.TextColumn("After", width="large")})
