"""SEO audit: audit a page, then its score and what to fix first, its history and trend, what
changed since an earlier audit, findings ignored as false positives, and HTML/PDF exports."""

import streamlit as st

from core.seo import reports
from ui import seo_views as view
from ui.auth import acting_user
from ui.messages import form_key, perform, renew_form, rerun_with, show_flash
from ui.workflow_views import WorkflowRef, live_workflow_panel

actor = acting_user()
st.title("SEO audit")
st.caption("Lighthouse's SEO audits with Lighthouse's scoring, and more checks beyond them. "
           "Each failed audit says how many points fixing it brings back.")
show_flash()

if actor.can_write:
    with st.form(form_key("seo_audit_form")):
        url = st.text_input("Page URL", placeholder="https://shop.example/lamp")
        render = st.checkbox("Render JavaScript in Chromium",
                             help="For pages built by scripts. Slower.")
        if st.form_submit_button("Audit", type="primary", icon=":material/search:"):
            queued = perform(lambda s: reports.request_audit(s, actor, url, render))
            if queued:
                renew_form("seo_audit_form")
                rerun_with(f"Audit of {queued.url} started.", seo_url=queued.normalized_url,
                           seo_report=queued.id)

urls = perform(lambda s: reports.audited_urls(s, actor)) or []
if not urls:
    st.info("No audits yet." + (" Enter a page URL above." if actor.can_write else ""),
            icon=":material/search:")
    st.stop()
chosen_url = st.selectbox("Page", urls, key="seo_url")
history = perform(lambda s: reports.list_reports(s, actor, chosen_url))
if history is None or history.empty:
    st.stop()
labels = view.report_labels(history)
report_id = st.selectbox("Report", list(labels), format_func=labels.get, key="seo_report")

summary = view.live_status(actor, report_id)
report = summary and perform(lambda s: reports.report_view(s, actor, summary.id))
if not report:
    st.stop()
view.score_header(report)
tab_report, tab_history, tab_compare, tab_export, tab_workflow = st.tabs(
    ["Report", "History", "Compare", "Export", "Workflow"])
with tab_report:
    if report.summary.status == reports.WorkStatus.COMPLETED:
        view.fix_first(actor, report, actor.can_write)
    view.other_audits(report)
with tab_history:
    trend = perform(lambda s: reports.trend(s, actor, chosen_url))
    if trend is not None:
        view.trend_chart(trend)
    view.history_table(history)
with tab_compare:
    view.diff_view(actor, report.summary, history)
with tab_export:
    view.export_buttons(actor, report.summary)
with tab_workflow:
    live_workflow_panel(actor, WorkflowRef.audit(report.summary.id), "seo_audit_wf")
