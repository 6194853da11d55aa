"""How the architecture advisor looks: the query form, and each provider run side by side with
its live graph, its design per domain per iteration (with what changed), its findings grouped by
severity with their evidence, and the terminal reason in words. Everything a user or a web page
wrote is shown as text (``plain``, ``st.text``)."""

from __future__ import annotations

import uuid

import streamlit as st

from core.advisor import export, records
from core.advisor.export import to_markdown
from core.advisor.records import Priority
from core.platform.access import Actor
from ui.messages import form_key, perform, renew_form, rerun_with
from ui.pdf_views import pdf_buttons
from ui.text import plain
from vocabularies import FileStatus

OUTCOME_ICONS = {"pass": ":material/check_circle:", "fail": ":material/cancel:",
                 "warn": ":material/help:"}
PROVIDERS = {"AWS and Azure": "both", "AWS": "aws", "Azure": "azure"}
PRIORITY_WORDS = {Priority.COST: "cost", Priority.AVAILABILITY: "availability"}


def ask_form(actor: Actor) -> None:
    with st.form(form_key("advisor_ask")):
        text = st.text_area("The system you need", placeholder="A web API for 10,000 requests "
                            "per second with a PostgreSQL database, in the EU, 99.95 % "
                            "available, under $3,000 a month")
        scope = st.radio("Providers", list(PROVIDERS), horizontal=True)
        priority = st.radio("Optimise for", list(Priority), horizontal=True,
                            format_func=PRIORITY_WORDS.get,
                            help="Among the designs that meet your constraints: the cheapest, or "
                            "the most available (highest SLA, most zones), then the cheapest.")
        constraints = st.text_area("Constraints (JSON, optional)",
                                   placeholder='{"budget_usd_month": 3000, "residency": "eu"}')
        if not st.form_submit_button("Ask", type="primary", icon=":material/architecture:"):
            return
    asked = perform(lambda s: records.ask(s, actor, text, PROVIDERS[scope], constraints,
                                          priority))
    if asked:
        renew_form("advisor_ask")
        rerun_with("Asked: the runs are on their way.", advisor_open=asked.query_id)


def choose(summaries: list[records.QuerySummary]) -> uuid.UUID | None:
    if not summaries:
        st.info("No questions yet.", icon=":material/architecture:")
        return None
    # Providers only, not their statuses: the list is drawn once while the runs below redraw
    # themselves live, so a status here would go stale ("queued" beside an accepted run).
    labels = {q.id: f"{q.created_at:%Y-%m-%d %H:%M} · {q.text[:80]} · "
              + " + ".join(p.upper() for p in q.statuses) for q in summaries}
    chosen: uuid.UUID = st.selectbox("Open", list(labels), format_func=labels.get,
                                     key="advisor_open")
    return chosen


def show_query(actor: Actor, view: records.QueryView) -> None:
    st.text(view.text)
    st.caption(f"Optimised for {PRIORITY_WORDS[view.priority]}.")
    columns = st.columns(len(view.runs))
    for column, run in zip(columns, view.runs):
        with column:
            _run(actor, run)
    if not view.active:
        st.caption("Export the final designs with their evidence: Markdown now, or a PDF "
                   "printed by Chromium in the background (the button turns into a download).")
        md_col, pdf_col = st.columns(2)
        md_col.download_button("Download Markdown", to_markdown(view),
                               export.file_name(view, export.AdviceFormat.MARKDOWN),
                               "text/markdown", on_click="ignore", icon=":material/download:",
                               key="advisor_download_md")
        with pdf_col:
            state = perform(lambda s: export.pdf_state(s, actor, view.id))
            printing = state is not None and state.status == FileStatus.PROCESSING
            st.fragment(_pdf, run_every=1 if printing else None)(actor, view.id, printing)


def _pdf(actor: Actor, query_id: uuid.UUID, polling: bool) -> None:
    state = perform(lambda s: export.pdf_state(s, actor, query_id))
    pdf_buttons(state.status if state else None, state.error if state else None, polling,
                "advisor", lambda s: export.pdf_file(s, actor, query_id),
                lambda s: export.request_pdf(s, actor, query_id))


def _run(actor: Actor, run: records.RunView) -> None:
    st.subheader(plain(run.provider.upper()))
    st.markdown(plain(f"{run.status} · iteration {run.iteration_count} of at most 3"))
    st.caption(plain(records.explain(run.terminal_reason, run.status)))
    if run.error:
        st.text(run.error)
    graph = perform(lambda s: records.run_graph(s, actor, run.id))
    if graph is not None:
        st.graphviz_chart(graph.to_dot())
    costs = perform(lambda s: records.run_costs(s, actor, run.id)) or []
    if costs:
        st.caption("Model calls by node (from the cost ledger; \"no price\": the model is "
                   "not in the price table, which is not the same as free)")
        st.dataframe([{"Node": c.node, "Input tokens": c.input_tokens,
                       "Output tokens": c.output_tokens,
                       "Cost (USD)": c.cost_text}
                      for c in costs], hide_index=True, width="stretch")
    if run.active and actor.can_write and st.button("Stop", key=f"stop_{run.id}",
                                                    icon=":material/stop:"):
        if perform(lambda s: records.request_cancel(s, actor, run.id)) is not None:
            rerun_with("Asked to stop.")
    for it in reversed(run.iterations):
        with st.expander(plain(f"Iteration {it.iteration}"), expanded=it is run.iterations[-1]):
            _iteration(it)


def _iteration(it: records.IterationView) -> None:
    for domain, proposal in it.proposals.items():
        content = proposal["content"]
        st.markdown(plain(f"{domain}: {content['name']} × {content['units']} · "
                          f"${content['monthly_usd']:,.0f}/month · SLA {content['sla']}% · "
                          f"{it.changed.get(domain, '')}"))
        st.caption(plain(proposal["rationale"]))
    if it.design:
        st.caption(plain(f"Region {it.design.get('region_name')}; about "
                         f"${it.design.get('monthly_usd', 0):,.0f} a month; "
                         f"synthesis {it.synthesis_status}."))
    for severity in ("critical", "high", "medium", "low"):
        mine = [f for f in it.findings if f.severity == severity]
        if mine:
            st.markdown(plain(f"{severity.capitalize()} findings"))
        for f in mine:
            st.markdown(OUTCOME_ICONS[f.outcome] + " " + plain(f"{f.check} ({f.domain}): "
                                                               f"{f.reason}"))
            if f.remediation:
                st.caption(plain(f"Fix: {f.remediation}"))
            for e in f.evidence:
                label = "Evidence" if e.available else "Evidence UNAVAILABLE"
                st.caption(plain(f"{label}: {e.title} — {e.url} (retrieved "
                                 f"{e.retrieved_at:%Y-%m-%d %H:%M} UTC)"))
                st.text(e.excerpt)
                if e.url.startswith(("https://", "http://")):  # the documentation base's pages
                    st.link_button("Open the cited page", e.url, icon=":material/open_in_new:")
    if it.feedback:
        st.caption(plain("Feedback to " + ", ".join(it.feedback["target_domains"]) + ": "
                         + it.feedback["instructions"]))
