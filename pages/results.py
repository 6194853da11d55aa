"""Results: a run's (or its job's) results as a table, one result's detail, charts, exports."""

import streamlit as st

from core import exports, results
from ui import results_view as view
from ui.auth import acting_user
from ui.messages import perform

actor = acting_user()
st.title("Results")

runs = perform(lambda s: results.runs_for_picker(s, actor))
if runs is None or runs.empty:
    st.info("No runs yet. Start one from a job on the Jobs page; its results show up here.",
            icon=":material/table:")
    st.stop()
labels = view.run_labels(runs)
run_id = st.selectbox("Run", list(labels), format_func=labels.get, key="results_run",
                      on_change=view.first_page)
whole_job = st.toggle("All runs of this job", key="results_whole_job", on_change=view.first_page,
                      help="Results are stored once per job: later runs skip items already found.")
fill = perform(lambda s: results.field_fill_rates(s, actor, run_id))
if fill is None:
    st.stop()

table_tab, charts_tab, exports_tab = st.tabs(["Table", "Charts", "Exports"], key="results_tab",
                                             on_change="rerun")
if table_tab.open:
    with table_tab:
        scope = ({"job_id": runs.set_index("id").at[run_id, "job_id"]} if whole_job
                 else {"run_id": run_id})
        query = results.ResultQuery(**scope, **view.query_controls(fill.frame.field.tolist()),
                                    page=view.requested_page())
        page = perform(lambda s: results.query_results(s, actor, query))
        if page is not None:
            view.results_table(page)
            chosen = view.pick_result(page)
            detail = chosen and perform(lambda s: results.result_detail(s, actor, chosen))
            if detail:
                view.show_detail(detail)

if charts_tab.open:
    with charts_tab:
        view.fill_rate_chart(fill)
        items = perform(lambda s: results.items_per_page(s, actor, run_id))
        if items is not None:
            view.items_chart(items)

if exports_tab.open:
    with exports_tab:
        fmt_box, button = st.columns([3, 1], vertical_alignment="bottom")
        fmt = fmt_box.selectbox("Format", list(view.FORMAT_LABELS), key="results_export_format",
                                format_func=view.FORMAT_LABELS.get)
        if button.button("Export", type="primary", key="results_export"):
            perform(lambda s: exports.start_export(s, actor, run_id, fmt),
                    f"{view.FORMAT_LABELS[fmt]} export started; it appears below when ready.")
        view.exports_list(actor, run_id)
