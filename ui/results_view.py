"""Widgets of the Results page: query controls, the table and pager, a result's detail, charts,
and the live list of exports. Scraped values are shown as data (dataframe cells, st.json,
st.code, chart marks), never as Markdown or HTML."""

from __future__ import annotations

import uuid
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from core.platform.words import counted
from core.scraping import exports
from core.platform.access import Actor
from core.scraping.results import (CONFIDENCE, FETCHED_AT, ID, META_COLUMNS, SOURCE_URL, FieldFilter,
                                   FillRates, ResultDetail, ResultQuery, ResultsPage)
from core.scraping.runs import RunSummary
from ui.messages import perform
from ui.run_views import already_stored_text, run_name
from ui.text import plain
from ui.vocabulary import EXPORT_FORMAT, FILE_STATUS, WORK_STATUS, FileStatus

PAGE_SIZES = (25, 50, 100, 250)
SORT_LABELS = {FETCHED_AT: "Fetched at", CONFIDENCE: "Confidence", SOURCE_URL: "Source URL"}
RAW_CSV_HELP = ("Off (the default): a cell starting with =, +, -, @, a tab or a carriage return "
                "gets a leading ' so a spreadsheet shows it as text instead of running it as a "
                "formula. On: every cell exactly as scraped; open such a file only if you trust "
                "the site.")
MAX_PAGE_BARS = 40  # more pages than this: show how many pages yielded how many items


def run_labels(runs: pd.DataFrame) -> dict[uuid.UUID, str]:
    return {row.id: f"{row.job} · {row.started:%Y-%m-%d %H:%M} · "
                    f"{WORK_STATUS[row.status].label.lower()} · {row.items:,} items"
            for row in runs.itertuples()}


def scope(runs: pd.DataFrame, run_id: uuid.UUID, whole_job: bool) -> dict[str, uuid.UUID]:
    """ResultQuery's scope: the chosen run, or every run of its job."""
    return {"job_id": runs.set_index("id").at[run_id, "job_id"]} if whole_job else {"run_id": run_id}


def describe(q: ResultQuery) -> str:
    """What a query holds, in words: "all runs of this job · search “lamp” · colour is “blue” ·
    sorted by price, lowest first"."""
    parts = ["all runs of this job" if q.job_id is not None else "this run"]
    if q.search.strip():
        parts.append(f"search “{q.search.strip()}”")
    parts += [f"{f.field} {'is' if f.exact else 'contains'} “{f.value}”" for f in q.filters]
    if q.min_confidence > 0:
        parts.append(f"confidence ≥ {q.min_confidence:.2f}")
    by = SORT_LABELS.get(q.sort, q.sort)
    parts.append(f"sorted by {by}, {'descending' if q.descending else 'ascending'}")
    return " · ".join(parts)


def nothing_text(q: ResultQuery) -> str:
    if q.narrowed:
        return "No results match the search and filters."
    return "No results in this job yet." if q.job_id is not None else "No results in this run yet."


def first_page() -> None:
    """on_change of every control that changes which results match: back to page 1."""
    st.session_state["results_page"] = 1


def _field_filter(column: Any, field: str) -> FieldFilter | None:
    value = column.text_input(f"{field} contains", key=f"results_filter_{field}",
                              on_change=first_page,
                              help='Put the value in double quotes for an exact match: "Blue".')
    if not value:
        return None
    exact = len(value) >= 2 and value.startswith('"') and value.endswith('"')
    return FieldFilter(field, value[1:-1] if exact else value, exact)


def query_controls(fields: list[str]) -> dict[str, Any]:
    """Search, confidence threshold, field filters, sort and page size: ResultQuery arguments."""
    search, threshold = st.columns([3, 1])
    text = search.text_input("Search", key="results_search", on_change=first_page,
                             placeholder="Text anywhere in an item or in its source URL")
    minimum = threshold.slider("Minimum confidence", 0.0, 1.0, 0.0, 0.05,
                               key="results_min_confidence", on_change=first_page)
    chosen = st.multiselect("Filter by field", fields, key="results_filter_fields",
                            on_change=first_page)
    boxes = st.columns(len(chosen)) if chosen else []
    filters = tuple(f for f in map(_field_filter, boxes, chosen) if f is not None)
    sort, order, size = st.columns([2, 1, 1])
    by = sort.selectbox("Sort by", [*SORT_LABELS, *fields], key="results_sort",
                        format_func=lambda key: SORT_LABELS.get(key, key), on_change=first_page)
    descending = order.toggle("Descending", value=True, key="results_descending",
                              on_change=first_page)
    page_size = size.selectbox("Rows per page", PAGE_SIZES, index=1, key="results_page_size",
                               on_change=first_page)
    return {"search": text, "min_confidence": minimum, "filters": filters, "sort": by,
            "descending": descending, "page_size": page_size}


def requested_page() -> int:
    return int(st.session_state.get("results_page", 1))


def open_linked_run(run_ids: list[uuid.UUID]) -> None:
    """``?run=<id>`` (a link from the Runs page) selects that run, once."""
    asked = st.query_params.get("run")
    if asked is None:
        return
    del st.query_params["run"]
    try:
        run_id = uuid.UUID(asked)
    except ValueError:
        return
    if run_id in run_ids:
        _open_run(run_id)


def _open_run(run_id: uuid.UUID) -> None:
    st.session_state["results_run"] = run_id
    st.session_state["results_whole_job"] = False
    first_page()


def where_items_are(run: RunSummary | None) -> None:
    """On a run that found items an earlier run had stored: say where they are."""
    if run is None or run.active or not run.already_stored:
        return
    first = run.already_stored[0]
    st.info(f"{plain(already_stored_text(run, run.already_stored))} Items are stored once per "
            "job: switch on “All runs of this job” to see them here, or open that run.",
            icon=":material/inventory_2:")
    st.button(plain(f"Open {run_name(first.created_at)}"), key="results_open_earlier",
              on_click=_open_run, args=(first.id,), icon=":material/arrow_forward:")


def results_table(page: ResultsPage, q: ResultQuery) -> uuid.UUID | None:
    """Count, pager and the table (data columns first, then source URL, confidence, time);
    returns the result whose row was clicked. No results: why there are none, not an empty
    table (it would show no field's column: fields are known from the results)."""
    if page.total == 0:
        st.info(nothing_text(q), icon=":material/search_off:")
        return None
    count, pager = st.columns([3, 1])
    plural = "" if page.total == 1 else "s"
    count.caption(plain(f"{page.total:,} result{plural} · page {page.page:,} of {page.pages:,}"))
    st.session_state["results_page"] = page.page  # the last page, when filters shrank the list
    pager.number_input("Page", min_value=1, max_value=page.pages, key="results_page")
    data = [c for c in page.frame.columns if c not in META_COLUMNS]
    event = st.dataframe(
        page.frame, hide_index=True, width="stretch", key="results_table", on_select="rerun",
        selection_mode="single-row",
        column_order=[*data, SOURCE_URL, CONFIDENCE, FETCHED_AT], column_config={
                     ID: None,
                     SOURCE_URL: st.column_config.LinkColumn("Source URL"),
                     CONFIDENCE: st.column_config.ProgressColumn(
                         "Confidence", min_value=0.0, max_value=1.0, format="%.2f"),
                     FETCHED_AT: st.column_config.DatetimeColumn(
                         "Fetched at", format="YYYY-MM-DD HH:mm:ss"),
                 })
    rows = [r for r in event.selection.rows if r < len(page.frame)]
    if not rows:
        st.caption("Tick a row (its box on the left) to see that result in full.")
        return None
    return page.frame[ID].iloc[rows[0]]


def show_detail(detail: ResultDetail) -> None:
    item, about = st.columns([2, 1])
    item.json(detail.data)
    about.text("Source URL")
    about.code(detail.source_url, language=None, wrap_lines=True)
    about.text(f"Fetched at {detail.fetched_at:%Y-%m-%d %H:%M:%S} UTC")
    about.text(f"Confidence {detail.confidence:.2f}")


def fill_rate_chart(fill: FillRates, q: ResultQuery) -> None:
    st.subheader("Fields filled")
    if fill.frame.empty:
        st.caption(nothing_text(q))
        return
    scope = (f"all {fill.total:,} results" if fill.sampled == fill.total
             else f"the latest {fill.sampled:,} of {fill.total:,} results")
    st.caption(f"Share of results in which each field has a value, over {plain(scope)}.")
    st.altair_chart(alt.Chart(fill.frame).mark_bar().encode(
        x=alt.X("share:Q", title="Filled", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("field:N", title=None, sort="-x"),
        tooltip=["field", "filled", alt.Tooltip("share:Q", format=".1%")]))


# A count's axis: ticks on whole numbers only (a page holds 4 items, not 3.8).
WHOLE_NUMBERS = alt.Axis(format="d", tickMinStep=1)


def items_chart(items: pd.DataFrame, q: ResultQuery) -> None:
    st.subheader("Items per page")
    if items.empty:
        st.caption(nothing_text(q))
        return
    if len(items) <= MAX_PAGE_BARS:
        st.caption(f"Results extracted per page, over {plain(counted(len(items), 'page'))}.")
        chart = alt.Chart(items).mark_bar().encode(
            x=alt.X("items:Q", title="Items", axis=WHOLE_NUMBERS),
            y=alt.Y("source_url:N", title=None, sort=None, axis=alt.Axis(labelLimit=400)),
            tooltip=["source_url", "items"])
    else:
        st.caption(f"{plain(counted(len(items), 'page'))}: how many pages yielded how many "
                   "items.")
        spread = items["items"].value_counts().rename_axis("items").reset_index(name="pages")
        chart = alt.Chart(spread).mark_bar().encode(
            x=alt.X("items:O", title="Items on the page"),
            y=alt.Y("pages:Q", title="Pages", axis=WHOLE_NUMBERS),
            tooltip=["items", "pages"])
    st.altair_chart(chart)


def _human_size(n_bytes: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:,.1f} {unit}"
    return f"{n_bytes} bytes"


def _export_line(info: exports.ExportInfo) -> str:
    label = EXPORT_FORMAT[info.format].label + (" (raw values)" if info.raw_values else "")
    held = describe(info.query) if info.query else "this run, in fetch order"
    made = f"{label} · {held} · {info.created_at:%Y-%m-%d %H:%M} UTC"
    if info.status != FileStatus.COMPLETED:
        return f"{made} · {FILE_STATUS[info.status].label.lower()}"
    size = f"{info.row_count:,} rows · {_human_size(info.size_bytes or 0)}"
    if info.expired:
        return f"{made} · {size} · expired"
    return f"{made} · {size} · until {info.expires_at:%Y-%m-%d %H:%M} UTC"


def _export_rows(actor: Actor, run_id: uuid.UUID, polling: bool) -> None:
    listed = perform(lambda s: exports.list_exports(s, actor, run_id)) or []
    if polling and not any(info.status == FileStatus.PROCESSING for info in listed):
        st.rerun()  # all done: a full rerun draws the list again, without the timer
    for info in listed:
        line, action = st.columns([3, 1])
        line.text(_export_line(info))
        if info.status == FileStatus.FAILED:
            line.error(plain(info.error_message or "The export failed."),
                       icon=FILE_STATUS[FileStatus.FAILED].icon)
        if info.downloadable:
            found = perform(lambda s: exports.export_file(s, actor, info.id))
            if found is not None:
                path, name, mime = found
                action.download_button("Download", data=path.read_bytes,
                                       file_name=name, mime=mime, on_click="ignore",
                                       key=f"results_download_{info.id}")
    if not listed:
        st.caption("No exports of this run yet.")


def export_form(actor: Actor, run_id: uuid.UUID, query: ResultQuery) -> None:
    """Format, raw values and the button; the file holds what the table shows, every page."""
    st.caption(plain(f"The file holds every result the table shows, on every page: "
                     f"{describe(query)}."))
    fmt_box, button = st.columns([3, 1], vertical_alignment="bottom")
    fmt = fmt_box.selectbox("Format", list(EXPORT_FORMAT), key="results_export_format",
                            format_func=lambda fmt: EXPORT_FORMAT[fmt].label)
    raw = fmt == exports.ExportFormat.CSV and st.checkbox(
        "Raw values", key="results_export_raw", help=RAW_CSV_HELP)
    if button.button("Export", type="primary", key="results_export"):
        perform(lambda s: exports.start_export(s, actor, run_id, fmt, raw_values=raw,
                                               query=query),
                f"{EXPORT_FORMAT[fmt].label} export started; it appears below when ready.")
    exports_list(actor, run_id)


def exports_list(actor: Actor, run_id: uuid.UUID) -> None:
    """The run's exports; while one is being prepared, a fragment refreshes the list every 2 s
    (the rest of the page stays as it is) and stops once none is left processing."""
    listed = perform(lambda s: exports.list_exports(s, actor, run_id)) or []
    polling = any(info.status == FileStatus.PROCESSING for info in listed)
    st.fragment(_export_rows, run_every=2 if polling else None)(actor, run_id, polling)
