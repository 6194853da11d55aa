"""Results: a run's (or its job's) results as a table, one result's detail, charts, exports.

The search, filters, sort and page size sit above the tabs, so they are drawn on every tab and
keep their values; the table, the charts and the exports all follow the same ResultQuery."""

import streamlit as st

from core.scraping import results
from core.scraping import runs as run_service
from ui import results_view as view
from ui.auth import acting_user
from ui.field_evidence_views import run_field_flags
from ui.messages import perform

actor = acting_user()
st.title("Results")

runs = perform(lambda s: results.runs_for_picker(s, actor))
if runs is None or runs.empty:
    st.info("No runs yet. Start one from a job on the Jobs page; its results show up here.",
            icon=":material/table:")
    st.stop()
labels = view.run_labels(runs)
view.open_linked_run(list(labels))
run_id = st.selectbox("Run", list(labels), format_func=labels.get, key="results_run",
                      on_change=view.first_page)
whole_job = st.toggle("All runs of this job", key="results_whole_job", on_change=view.first_page,
                      help="Results are stored once per job: later runs skip items already found.")
if not whole_job:
    view.where_items_are(perform(lambda s: run_service.get_run(s, actor, run_id)))
run_field_flags(actor, run_id)
scope = results.ResultQuery(**view.scope(runs, run_id, whole_job))
fill = perform(lambda s: results.field_fill_rates(s, actor, scope))
if fill is None:
    st.stop()
query = results.ResultQuery(**view.scope(runs, run_id, whole_job),
                            **view.query_controls(fill.frame.field.tolist()),
                            page=view.requested_page())

table_tab, charts_tab, exports_tab = st.tabs(["Table", "Charts", "Exports"], key="results_tab",
                                             on_change="rerun")
if table_tab.open:
    with table_tab:
        page = perform(lambda s: results.query_results(s, actor, query))
        chosen = page and view.results_table(page, query)
        detail = chosen and perform(lambda s: results.result_detail(s, actor, chosen))
        if detail:
            view.show_detail(detail)

if charts_tab.open:
    with charts_tab:
        shown = perform(lambda s: results.field_fill_rates(s, actor, query)) \
            if query.narrowed else fill
        if shown is not None:
            view.fill_rate_chart(shown, query)
        items = perform(lambda s: results.items_per_page(s, actor, query))
        if items is not None:
            view.items_chart(items, query)

if exports_tab.open:
    with exports_tab:
        view.export_form(actor, run_id, query)
