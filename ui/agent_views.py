"""How agents and agent jobs look: the registry with each agent's record, the registration
forms, the job form, and one job's checks and call log. Agent-written text (names, reasons,
answers) is shown as data (tables, JSON, plain text), never as Markdown."""

from __future__ import annotations

import uuid
from typing import Any

import pandas as pd
import streamlit as st

from core.agents import jobs, registry
from core.agents.criteria import Outcome
from core.agents.jobs import AgentJobStatus
from core.platform.access import Actor
from core.platform.jsondoc import parse_json
from core.platform.words import counted
from ui.messages import perform, rerun_with
from ui.text import plain

JOB_ICONS = {AgentJobStatus.PENDING: ":material/hourglass_empty:",
             AgentJobStatus.ASSIGNED: ":material/assignment_ind:",
             AgentJobStatus.IN_PROGRESS: ":material/sync:",
             AgentJobStatus.COMPLETED: ":material/check_circle:",
             AgentJobStatus.RESUBMISSION_REQUIRED: ":material/assignment_return:"}
OUTCOME_WORDS = {o.value: f"{'✔' if o is Outcome.MET else '✘' if o is Outcome.MISSED else '–'} "
                 f"{o.label}" for o in Outcome}


def agents_table(agents: list[registry.AgentView]) -> None:
    rows = [{"name": a.name, "kind": a.kind, "keywords": ", ".join(a.keywords),
             "calls": a.record.calls, "accepted": a.record.jobs_accepted,
             "acceptance": a.record.acceptance_rate, "latency": a.record.mean_latency_ms,
             "cost": a.record.cost_per_accepted,
             "last_failure": a.record.last_failures[0] if a.record.last_failures else ""}
            for a in agents]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", column_config={
        "name": st.column_config.TextColumn("Agent", width="medium"),
        "kind": st.column_config.TextColumn("Kind", width="small"),
        "keywords": st.column_config.TextColumn("Keywords", width="small"), "calls": "Calls",
        "accepted": "Jobs accepted",
        "acceptance": st.column_config.ProgressColumn("Acceptance rate", format="percent",
                                                      min_value=0, max_value=1),
        "latency": st.column_config.NumberColumn("Mean latency (ms)", format="%.0f"),
        "cost": st.column_config.NumberColumn("Cost per accepted output", format="$%.4f"),
        "last_failure": st.column_config.TextColumn("Last failure", width="large")})


def agent_detail(agent: registry.AgentView) -> None:
    st.text(agent.description or "(no description)")
    st.text(f"Endpoint: {agent.endpoint_url}" if agent.endpoint_url
            else f"Built in: {agent.builtin}")
    left, right = st.columns(2)
    left.caption("Input schema")
    left.json(agent.input_schema, expanded=2)
    right.caption("Output schema")
    right.json(agent.output_schema, expanded=2)


def register_forms(actor: Actor) -> None:
    card, by_hand = st.tabs(["From its agent card", "By hand or from a file"])
    with card.form("agent_card"):
        url = st.text_input("Agent's base URL (its /.well-known/agent-card.json is read)")
        public = st.checkbox("Every user may dispatch to it", key="agent_card_public")
        if st.form_submit_button("Import card", icon=":material/download:") and url:
            made = perform(lambda s: registry.register_agent(s, actor, registry.fetch_card(url),
                                                             is_public=public))
            if made:
                rerun_with(f"Registered {made.name}.")
    with by_hand.form("agent_hand"):
        upload = st.file_uploader("A JSON file (an agent description or an agent card)",
                                  type=["json"], max_upload_size=1)
        text = st.text_area("…or paste it", height=160, placeholder='{"name": "…", '
                            '"endpoint_url": "https://…", "input_schema": {…}, '
                            '"output_schema": {…}, "keywords": ["…"]}')
        public = st.checkbox("Every user may dispatch to it", key="agent_hand_public")
        if st.form_submit_button("Register", icon=":material/add:"):
            source = upload.getvalue().decode("utf-8", "replace") if upload else text
            made = perform(lambda s: registry.register_agent(
                s, actor, parse_json(source, "The agent"), is_public=public))
            if made:
                rerun_with(f"Registered {made.name}.")


def job_form(actor: Actor, agents: list[registry.AgentView]) -> uuid.UUID | None:
    choices: dict[str, str] = {"": "Best fit (by keywords and schemas)"}
    choices.update({str(a.id): a.name for a in agents})
    with st.form("agent_job_new"):
        name = st.text_input("Name", placeholder="extract every product on these pages")
        description = st.text_area("Description", height=68)
        agent = st.selectbox("Agent", list(choices), format_func=choices.get)
        job_input = st.text_area("Input (JSON: what the agent receives)", height=120,
                                 placeholder='{"urls": ["https://…"], "fields": ["name", '
                                 '"price"]}')
        criteria = st.text_area("Acceptance criteria (one a line)", height=100,
                                placeholder="at least 20 items\nevery price > 0\n"
                                "fill rate of sku >= 0.9\ntitle contains Lamp")
        attempts = st.number_input("Attempts before it needs re-submission", 1, 10, 3)
        if not st.form_submit_button("Create and dispatch", type="primary",
                                     icon=":material/send:"):
            return None
    made = perform(lambda s: jobs.create_job(s, actor, {
        "name": name, "description": description, "agent": agent or None,
        "input": parse_json(job_input or "{}", "The input"), "acceptance_criteria": criteria,
        "max_attempts": int(attempts)}))
    return made.id if made else None


def jobs_table(rows: list[jobs.JobView]) -> None:
    st.dataframe(pd.DataFrame([{
        "name": j.name, "status": j.status.label, "agent": j.agent_name or "",
        "attempts": f"{j.attempts} of {j.max_attempts}", "created": j.created_at}
        for j in rows]), hide_index=True, width="stretch", column_config={
        "name": st.column_config.TextColumn("Job", width="medium"),
        "status": st.column_config.TextColumn("Status", width="medium"),
        "agent": "Agent", "attempts": "Attempts",
        "created": st.column_config.DatetimeColumn("Created", format="YYYY-MM-DD HH:mm:ss")})


def job_detail(job: jobs.JobView) -> None:
    st.subheader(f"{JOB_ICONS[job.status]} {plain(job.status.label)}")
    st.text(f"{job.name} · agent: {job.agent_name or 'none yet'} · "
            f"attempt {job.attempts} of {job.max_attempts}")
    if job.note:
        st.text(job.note)
    if job.graph_dot:
        st.graphviz_chart(job.graph_dot)
    criteria, result, log = st.tabs(["Criteria", "Result", f"Calls ({len(job.logs)})"])
    criteria.dataframe(_checks(job), hide_index=True, width="stretch", column_config={
        "criterion": st.column_config.TextColumn("Criterion", width="medium"),
        "outcome": "Outcome", "detail": st.column_config.TextColumn("Detail", width="large")})
    invalid = (job.verdict or {}).get("invalid_items") or []
    if invalid:
        criteria.caption(f"{plain(counted(len(invalid), 'record'))} broke the schema and "
                         "were left out:")
        criteria.dataframe(pd.DataFrame({"record": invalid}), hide_index=True, width="stretch")
    _result(result, job.result)
    log.dataframe(pd.DataFrame([{
        "attempt": c.attempt, "status": c.status.label,
        "reasons": "; ".join(c.reasons), "latency": c.latency_ms, "at": c.created_at}
        for c in job.logs]), hide_index=True, width="stretch", column_config={
        "reasons": st.column_config.TextColumn("Reasons", width="large"),
        "latency": st.column_config.NumberColumn("Latency (ms)", format="%.0f"),
        "at": st.column_config.DatetimeColumn("At", format="HH:mm:ss")})
    if job.logs:
        shown = log.selectbox("Payloads of call", range(len(job.logs)), format_func=lambda i: (
            f"attempt {job.logs[i].attempt} · {job.logs[i].status.label} · "
            f"{job.logs[i].created_at:%H:%M:%S}"), key=f"agent_log_{job.id}")
        request, response = log.columns(2)
        request.json(job.logs[shown].request_payload, expanded=False)
        response.json(job.logs[shown].response_payload, expanded=False)


def _checks(job: jobs.JobView) -> pd.DataFrame:
    checks = (job.verdict or {}).get("checks")
    if checks:
        return pd.DataFrame([{"criterion": c["criterion"],
                              "outcome": OUTCOME_WORDS[c["outcome"]], "detail": c["detail"]}
                             for c in checks])
    return pd.DataFrame([{"criterion": c.text, "outcome": "not checked yet", "detail": ""}
                         for c in job.criteria])


def _result(container: Any, result: Any) -> None:
    items = result.get("items") if isinstance(result, dict) else result
    if isinstance(items, list) and items and all(isinstance(i, dict) for i in items):
        container.dataframe(pd.DataFrame(items).astype(str), hide_index=True, width="stretch")
    elif result is None:
        container.caption("No accepted result yet.")
    else:
        container.json(result, expanded=False)
