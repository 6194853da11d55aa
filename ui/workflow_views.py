"""How a workflow looks: its graph (Graphviz, from core), a timeline beside it (plotly), the event
log in sentences with its payloads, and two workflows of a kind compared node by node.

``workflow_panel`` draws once (for a page whose own fragment already refreshes, like Runs);
``live_workflow_panel`` wraps it in a fragment that refreshes every second while the workflow is
at work and stops when it ends. Selecting a step (a picker: the graph has no click) filters the
timeline and the log.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core import ledger
from core.platform.access import Actor
from core.platform.words import counted
from core.timeline import WorkflowRef
from core.timeline import view as wf
from ui.messages import perform
from ui.text import plain
from ui.vocabulary import OUTCOME


def live_workflow_panel(actor: Actor, ref: WorkflowRef, key: str,
                        compare_with: Mapping[str, WorkflowRef] | None = None) -> None:
    """The panel, refreshed every second while the workflow is at work."""
    first = perform(lambda s: wf.workflow_view(s, actor, ref))
    if first is None:
        return

    @st.fragment(run_every="1s" if first.active else None)
    def live() -> None:
        shown = workflow_panel(actor, ref, key, compare_with)
        if first.active and shown is not None and not shown.active:
            st.rerun()  # it ended: redraw once, without the timer

    live()


def workflow_panel(actor: Actor, ref: WorkflowRef, key: str,
                   compare_with: Mapping[str, WorkflowRef] | None = None) -> wf.WorkflowView | None:
    view = perform(lambda s: wf.workflow_view(s, actor, ref))
    if view is None:
        return None
    labels = {n.id: n.label for n in view.nodes}
    pick, unroll, compress, hide = st.columns([2, 1, 1, 1], vertical_alignment="bottom")
    node = pick.selectbox("Step", ["", *labels], key=f"{key}_node",
                          format_func=lambda n: labels.get(n, "All steps"),
                          help="Filters the timeline and the log to one step of the graph.") or None
    unrolled = unroll.toggle("Unroll loops", key=f"{key}_unroll", disabled=view.loop_iterations < 2,
                             help="Draw each round of a loop as its own steps.")
    squeezed = compress.toggle("Compress idle gaps", key=f"{key}_compress", value=True)
    hidden = hide.toggle("Hide completed", key=f"{key}_hide")
    graph, chart = st.columns([3, 2])
    with graph:
        st.graphviz_chart(view.dot(unroll=unrolled, selected=node), width="content")
        st.caption(plain(cost_caption(view)))
    with chart:
        extra = perform(lambda s: wf.node_bars(s, actor, ref, node)) if node else []
        timeline_chart(view, node, squeezed, hidden, extra or [])
    event_log(actor, ref, view, node, key)
    if compare_with:
        with st.expander(":material/compare_arrows: Compare with another", expanded=False):
            comparison(actor, ref, compare_with, key)
    return view


def cost_caption(view: wf.WorkflowView) -> str:
    if view.total_cost_usd is not None and not view.unpriced:
        return f"Cost {ledger.usd_short(view.total_cost_usd)}; each step shows its share."
    if any(n.spend for n in view.nodes):
        return ("Quantities from the ledger on each step (prices missing: shares are of the "
                "credits they are worth).")
    return "Nothing spent yet."


def timeline_chart(view: wf.WorkflowView, node: str | None, compress: bool, hide: bool,
                   extra: list[wf.Bar]) -> None:
    """Bars per step (its activations, retries and failures; a selected step's events too),
    on the log's axis: seconds since the workflow's first event."""
    axis = wf.place([*view.bars, *extra], compress=compress, hide_completed=hide, node=node,
                    origin=view.started)
    if not axis.bars:
        st.caption("No step has been at work yet.")
        return
    order = [n.label for n in view.nodes]
    figure = go.Figure()
    for outcome in dict.fromkeys(b.outcome for b, _, _ in axis.bars):
        chosen = [(b, s, e) for b, s, e in axis.bars if b.outcome == outcome]
        figure.add_bar(
            y=[b.label for b, _, _ in chosen], base=[s for _, s, _ in chosen],
            x=[max(e - s, 0.05) for _, s, e in chosen], orientation="h",
            name=OUTCOME[outcome].label,
            marker_color=wf.OUTCOME_COLOURS.get(outcome, "#868e96"),
            customdata=[[b.text, b.start.strftime("%H:%M:%S")] for b, _, _ in chosen],
            hovertemplate="%{y}: %{customdata[0]}<br>from %{customdata[1]}, %{x:.1f} s"
                          "<extra></extra>")
    for where, cut in axis.squeezed:
        figure.add_vline(x=where, line_dash="dot", line_color="#adb5bd")
    figure.update_layout(
        # the legend above the bars: below them, at a fraction of the height, it met the axis
        # title on a chart of few steps
        barmode="overlay", height=110 + 38 * len(order), margin=dict(t=40, b=30, l=10, r=10),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0),
        xaxis_title="seconds since start"
        + (" (idle gaps compressed)" if axis.squeezed else ""),
        yaxis=dict(categoryorder="array", categoryarray=order[::-1]))
    st.plotly_chart(figure, width="stretch", config={"displayModeBar": False})


def event_log(actor: Actor, ref: WorkflowRef, view: wf.WorkflowView, node: str | None,
              key: str) -> None:
    types_col, outcomes_col, page_col = st.columns([3, 3, 1])
    types = types_col.multiselect("Event types", list(wf.EventType), key=f"{key}_types",
                                  format_func=lambda t: t.value.replace("_", " "))
    outcomes = outcomes_col.multiselect("Outcomes", list(wf.OUTCOMES), key=f"{key}_outcomes")
    page = page_col.number_input("Page", min_value=1, value=1, key=f"{key}_page") - 1
    lines = perform(lambda s: wf.log_page(s, actor, ref, node=node, types=types,
                                          outcomes=outcomes, page=int(page), origin=view.started))
    if not lines:
        st.caption("No events match." if lines is not None else "")
        return
    table = pd.DataFrame([(round(x.offset_s, 2), x.at, x.node, x.type.value.replace("_", " "),
                           x.outcome.value, x.sentence) for x in lines],
                         columns=["offset", "at", "step", "event", "outcome", "what"])
    picked = st.dataframe(
        table, hide_index=True, width="stretch", key=f"{key}_log", on_select="rerun",
        selection_mode="single-row", column_config={
            "offset": st.column_config.NumberColumn("+s", format="%.2f", width="small"),
            "at": st.column_config.DatetimeColumn("At", format="HH:mm:ss.SSS", width="small"),
            "step": st.column_config.TextColumn("Step", width="small"),
            "event": st.column_config.TextColumn("Event", width="small"),
            "outcome": st.column_config.TextColumn("Outcome", width="small"),
            "what": st.column_config.TextColumn("What happened", width="large")})
    rows = picked.selection.rows if picked is not None else []
    st.caption(f"{plain(counted(len(lines), 'event'))} on this page, newest first; +s is the "
               "timeline's axis. Select a row to read its payload.")
    if rows:
        with st.expander("Payload", expanded=True, icon=":material/data_object:"):
            st.json(lines[rows[0]].payload)


def _number(value: float | None) -> float:
    return float("nan") if value is None else value


def comparison(actor: Actor, ref: WorkflowRef, others: Mapping[str, WorkflowRef],
               key: str) -> None:
    chosen = st.selectbox("Compare with", list(others), key=f"{key}_compare", index=None,
                          placeholder="Pick another run")
    if chosen is None:
        return
    rows = perform(lambda s: wf.compare(s, actor, ref, others[chosen]))
    if not rows:
        return
    table = pd.DataFrame([{
        "step": r.label, "state · this": r.state[0], "state · other": r.state[1],
        "seconds · this": _number(r.seconds[0]), "seconds · other": _number(r.seconds[1]),
        "counts · this": r.counts[0], "counts · other": r.counts[1],
        "failures · this": r.failures[0], "failures · other": r.failures[1],
        "spend · this": r.spend[0], "spend · other": r.spend[1],
        "error · this": r.error[0], "error · other": r.error[1]} for r in rows])
    marks = {(i, column): True for i, r in enumerate(rows)
             for field, differs in r.differs.items() if differs and field != "events"
             for column in (f"{field} · this", f"{field} · other")}

    def highlight(frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame([[("background-color: #fff3bf" if (i, c) in marks else "")
                              for c in frame.columns] for i in range(len(frame))],
                            index=frame.index, columns=frame.columns)

    st.dataframe(table.style.apply(highlight, axis=None).format(
        {"seconds · this": "{:,.1f}", "seconds · other": "{:,.1f}"}, na_rep="—"),
        hide_index=True, width="stretch")
    st.caption("Differences are highlighted (durations: more than 20 % and half a second).")


def run_workflow(actor: Actor, run_id: uuid.UUID, job_id: uuid.UUID) -> None:
    """A run's panel, comparable with the other runs of its job."""
    from core.scraping import runs

    table = perform(lambda s: runs.list_runs(s, actor, job_id, limit=50))
    others = {} if table is None else {
        f"run of {r.created_at:%Y-%m-%d %H:%M:%S}": WorkflowRef.run(r.id)
        for r in table.itertuples() if r.id != run_id}
    workflow_panel(actor, WorkflowRef.run(run_id), "runs_wf", others)


def build_workflow(actor: Actor, build_id: uuid.UUID, builds: pd.DataFrame) -> None:
    """A build's panel (live while the worker is at it), comparable with the other builds."""
    others = {f"{r.objective[:50]} · {r.created_at:%Y-%m-%d %H:%M}": WorkflowRef.build(r.id)
              for r in builds.itertuples() if r.id != build_id}
    live_workflow_panel(actor, WorkflowRef.build(build_id), "builder_wf", others)
