"""Per-field evidence and confidence, with a visible flag and its reason: for a build's samples
(builder page) and for a run's results (Results and Runs pages). One call per page."""

from __future__ import annotations

import uuid

import pandas as pd
import streamlit as st

from core.builder import builds
from core.builder.builds import BuildDetail
from core.builder.field_evidence import field_evidence
from core.platform.access import Actor
from core.scraping.field_health import run_field_health
from core.scraping.runs import RunSummary
from ui.messages import perform
from ui.text import plain

FLAG = "⚑ "


def build_field_evidence(build: BuildDetail) -> None:
    """Where each proposed field is read, its confidence, and why a field is flagged."""
    kinds = {name: str(builds.field_kind(build.schema, build.package, name))
             for name in build.field_names}
    rows = field_evidence(build.package, build.report, kinds)
    if not rows:
        return
    st.markdown("**Evidence and confidence per field**")
    st.dataframe(pd.DataFrame([{
        "field": (FLAG if row.low else "") + row.field, "source": row.source,
        "selector": row.selector, "found_on": row.found_on, "confidence": row.confidence,
        "flag": row.reason} for row in rows]), hide_index=True, width="stretch", column_config={
        "field": "Field", "source": "Read from", "selector": "Selector", "found_on": "Found on",
        "confidence": st.column_config.ProgressColumn("Confidence", min_value=0.0,
                                                      max_value=1.0, format="%.2f"),
        "flag": st.column_config.TextColumn("Why flagged", width="large")})
    for row in rows:
        if row.low:
            st.warning(f"**{plain(row.field)}**: low confidence ({row.confidence:.2f}): "
                       f"{plain(row.reason)}.", icon=":material/flag:")


def run_field_flags(actor: Actor, run_id: uuid.UUID | str, *, table: bool = True) -> None:
    """A run's fields: evidence, fill rate against the job's previous runs, flags and reasons.
    ``table`` False: only the flags (a warning per flagged field)."""
    rows = perform(lambda s: run_field_health(s, actor, run_id))
    if not rows:
        return
    for row in rows:
        if row.dropped:
            st.warning(plain(row.reason), icon=":material/trending_down:")
        elif row.flagged and table:
            st.warning(f"**{plain(row.field)}**: {plain(row.reason)}.", icon=":material/flag:")
    if not table:
        return
    with st.expander("Evidence and confidence per field"):
        st.dataframe(pd.DataFrame([{
            "field": (FLAG if row.flagged else "") + row.field, "source": row.source,
            "selector": row.selector, "share": row.share, "before": row.before,
            "confidence": row.confidence, "attempts": row.attempts,
            "success": row.success_rate, "fallback": row.fallback_hits,
            "verified": row.last_verified, "flag": row.reason} for row in rows]),
            hide_index=True, width="stretch", column_config={
                "field": "Field", "source": "Read from", "selector": "Selector",
                "share": st.column_config.NumberColumn("Filled (this run)", format="percent"),
                "before": st.column_config.NumberColumn("Filled (previous runs)",
                                                        format="percent"),
                "confidence": st.column_config.ProgressColumn(
                    "Confidence", min_value=0.0, max_value=1.0, format="%.2f"),
                "attempts": st.column_config.NumberColumn(
                    "Attempts", help="Records every run of the job tried this field on"),
                "success": st.column_config.NumberColumn(
                    "Success rate", format="percent",
                    help="Share of attempts its primary selector or a fallback read a value"),
                "fallback": st.column_config.NumberColumn(
                    "Read by a fallback", help="Values read by a fallback selector because the "
                    "primary one found nothing"),
                "verified": st.column_config.DatetimeColumn("Last verified",
                                                            format="YYYY-MM-DD HH:mm"),
                "flag": st.column_config.TextColumn("Why flagged", width="large")})


def finished_run_flags(actor: Actor, run: RunSummary) -> None:
    """On the Runs page: once a run has ended, a warning for each field whose fill rate fell
    against the job's previous runs (nothing while it runs: the page refreshes every second)."""
    if not run.active:
        run_field_flags(actor, run.id, table=False)
