"""Widgets of the Results page: query controls, the table and pager, a result's detail, charts,
and the live list of exports. Scraped values are shown as data (dataframe cells, st.json,
st.code, chart marks), never as Markdown or HTML."""

from __future__ import annotations

import uuid
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from core import exports
from core.access import Actor
from core.results import (CONFIDENCE, FETCHED_AT, ID, META_COLUMNS, SOURCE_URL, FieldFilter,
                          FillRates, ResultDetail, ResultsPage)
from ui.messages import perform

PAGE_SIZES = (25, 50, 100, 250)
SORT_LABELS = {FETCHED_AT: "Fetched at", CONFIDENCE: "Confidence", SOURCE_URL: "Source URL"}
FORMAT_LABELS = {"csv": "CSV", "json": "JSON", "jsonl": "JSON Lines", "xlsx": "Excel",
                 "parquet": "Parquet"}
MAX_PAGE_BARS = 40  # more pages than this: show how many pages yielded how many items


def run_labels(runs: pd.DataFrame) -> dict[uuid.UUID, str]:
    return {row.id: f"{row.job} · {row.started:%Y-%m-%d %H:%M} · {row.status} · {row.items:,} items"
            for row in runs.itertuples()}


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


def results_table(page: ResultsPage) -> None:
    """Count, pager and the table (data columns first, then source URL, confidence, time)."""
    count, pager = st.columns([3, 1])
    plural = "" if page.total == 1 else "s"
    count.caption(f"{page.total:,} result{plural} · page {page.page:,} of {page.pages:,}")
    st.session_state["results_page"] = page.page  # the last page, when filters shrank the list
    pager.number_input("Page", min_value=1, max_value=page.pages, key="results_page")
    data = [c for c in page.frame.columns if c not in META_COLUMNS]
    st.dataframe(page.frame, hide_index=True, width="stretch",
                 column_order=[*data, SOURCE_URL, CONFIDENCE, FETCHED_AT], column_config={
                     ID: None,
                     SOURCE_URL: st.column_config.LinkColumn("Source URL"),
                     CONFIDENCE: st.column_config.ProgressColumn(
                         "Confidence", min_value=0.0, max_value=1.0, format="%.2f"),
                     FETCHED_AT: st.column_config.DatetimeColumn(
                         "Fetched at", format="YYYY-MM-DD HH:mm:ss"),
                 })


def _row_label(row: pd.Series) -> str:
    # Nothing positional: a select box keeps showing the label it first drew for its value,
    # so a label that changes with the sort order would go stale.
    data = [v for k, v in row.items() if k not in META_COLUMNS and pd.notna(v)]
    return f"{str(data[0] if data else row[SOURCE_URL])[:80]} · {str(row[ID])[:8]}"


def pick_result(page: ResultsPage) -> uuid.UUID | None:
    if page.frame.empty:
        return None
    labels = {row[ID]: _row_label(row) for _, row in page.frame.iterrows()}
    return st.selectbox("Open a result", list(labels), format_func=labels.get,
                        key="results_open")


def show_detail(detail: ResultDetail) -> None:
    item, about = st.columns([2, 1])
    item.json(detail.data)
    about.text("Source URL")
    about.code(detail.source_url, language=None, wrap_lines=True)
    about.text(f"Fetched at {detail.fetched_at:%Y-%m-%d %H:%M:%S} UTC")
    about.text(f"Confidence {detail.confidence:.2f}")


def fill_rate_chart(fill: FillRates) -> None:
    st.subheader("Fields filled")
    if fill.frame.empty:
        st.caption("No results in this run yet.")
        return
    scope = (f"all {fill.total:,} results" if fill.sampled == fill.total
             else f"the latest {fill.sampled:,} of {fill.total:,} results")
    st.caption(f"Share of results in which each field has a value, over {scope}.")
    st.altair_chart(alt.Chart(fill.frame).mark_bar().encode(
        x=alt.X("share:Q", title="Filled", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("field:N", title=None, sort="-x"),
        tooltip=["field", "filled", alt.Tooltip("share:Q", format=".1%")]))


def items_chart(items: pd.DataFrame) -> None:
    st.subheader("Items per page")
    if items.empty:
        st.caption("No results in this run yet.")
        return
    if len(items) <= MAX_PAGE_BARS:
        st.caption(f"Results extracted from each of the {len(items):,} pages.")
        chart = alt.Chart(items).mark_bar().encode(
            x=alt.X("items:Q", title="Items"),
            y=alt.Y("source_url:N", title=None, sort=None, axis=alt.Axis(labelLimit=400)),
            tooltip=["source_url", "items"])
    else:
        st.caption(f"{len(items):,} pages: how many pages yielded how many items.")
        spread = items["items"].value_counts().rename_axis("items").reset_index(name="pages")
        chart = alt.Chart(spread).mark_bar().encode(
            x=alt.X("items:O", title="Items on the page"), y=alt.Y("pages:Q", title="Pages"),
            tooltip=["items", "pages"])
    st.altair_chart(chart)


def _human_size(n_bytes: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:,.1f} {unit}"
    return f"{n_bytes} bytes"


def _export_line(info: exports.ExportInfo) -> str:
    made = f"{FORMAT_LABELS[info.format]} · {info.created_at:%Y-%m-%d %H:%M} UTC"
    if info.status == "processing":
        return f"{made} · preparing…"
    if info.status == "failed":
        return f"{made} · failed"
    size = f"{info.row_count:,} rows · {_human_size(info.size_bytes or 0)}"
    if info.expired:
        return f"{made} · {size} · expired"
    return f"{made} · {size} · until {info.expires_at:%Y-%m-%d %H:%M} UTC"


def _export_rows(actor: Actor, run_id: uuid.UUID, polling: bool) -> None:
    listed = perform(lambda s: exports.list_exports(s, actor, run_id)) or []
    if polling and not any(info.status == "processing" for info in listed):
        st.rerun()  # all done: a full rerun draws the list again, without the timer
    for info in listed:
        line, action = st.columns([3, 1])
        line.text(_export_line(info))
        if info.status == "failed":
            line.error(info.error_message or "The export failed.", icon=":material/error:")
        if info.downloadable:
            found = perform(lambda s: exports.export_file(s, actor, info.id))
            if found is not None:
                path, name, mime = found
                action.download_button("Download", data=path.read_bytes,
                                       file_name=name, mime=mime, on_click="ignore",
                                       key=f"results_download_{info.id}")
    if not listed:
        st.caption("No exports of this run yet.")


def exports_list(actor: Actor, run_id: uuid.UUID) -> None:
    """The run's exports; while one is being prepared, a fragment refreshes the list every 2 s
    (the rest of the page stays as it is) and stops once none is left processing."""
    listed = perform(lambda s: exports.list_exports(s, actor, run_id)) or []
    polling = any(info.status == "processing" for info in listed)
    st.fragment(_export_rows, run_every=2 if polling else None)(actor, run_id, polling)
