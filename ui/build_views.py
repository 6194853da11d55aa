"""How builds look and are steered: the new-build form, the builds table, one build's status,
its samples, the feedback controls, the iteration history with a diff, confirm, and the
"create schema and job" step."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core.builder import builds
from core.builder.builds import BuildDetail, BuildInput
from core.platform.access import Actor
from core.platform.words import counted
from core.scraping import runs
from ui.messages import perform, rerun_with
from ui.text import plain
from ui.vocabulary import BUILD_STATUS, BuildStatus

KEEP, DROP, WRONG = "keep", "drop", "mark wrong"


def new_build_form(key: str) -> BuildInput | None:
    with st.form(key):
        objective = st.text_area(
            "What do you want?", key=f"{key}_objective",
            placeholder="all products on these pages: name, price, rating, image, link")
        urls = st.text_area("Sample URLs (one per line, up to 10)", key=f"{key}_urls",
                            placeholder="https://shop.example/catalog?page=1")
        files = st.file_uploader("…or sample pages saved as HTML", type=["html", "htm"],
                                 accept_multiple_files=True, key=f"{key}_files")
        render, wait_for = st.columns([1, 2])
        render = render.toggle("Render JavaScript", key=f"{key}_render",
                               help="Open every sample URL in Chromium first, for pages whose "
                               "records a script adds (found by itself when the HTML is empty)")
        wait_for = wait_for.text_input("Wait for (CSS selector, optional)", key=f"{key}_wait",
                                       placeholder="ul.products li",
                                       help="Rendering waits until this is on the page")
        if not st.form_submit_button("Start build", type="primary", icon=":material/build:"):
            return None
    return BuildInput(objective=objective, urls=urls.splitlines(),
                      files=[(f.name, f.getvalue()) for f in files or []], render=render,
                      wait_for=wait_for or None)


def builds_table(table: pd.DataFrame) -> None:
    shown = table.drop(columns="id").assign(
        status=table.status.map(lambda status: BUILD_STATUS[status].label))
    st.dataframe(shown, hide_index=True, width="stretch", column_config={
        "objective": st.column_config.TextColumn("Objective", width="large"),
        "status": st.column_config.TextColumn("Status", width="medium"),
        "samples": st.column_config.NumberColumn("Samples"),
        "fields": st.column_config.NumberColumn("Fields"),
        "iteration": st.column_config.NumberColumn("Iteration"),
        "created_at": st.column_config.DatetimeColumn("Created", format="YYYY-MM-DD HH:mm")})


def build_status(build: BuildDetail) -> None:
    look = BUILD_STATUS[build.status]
    st.subheader(f"{look.icon} {plain(look.label)}")
    count = len(build.urls) + len(build.uploads)
    st.caption(f"“{plain(build.objective)}” · iteration {plain(build.iteration)} · "
               f"{plain(counted(count, 'sample'))}")
    if build.working:
        st.info(plain(look.text), icon=":material/hourglass_top:")
    elif build.status != BuildStatus.FAILED:
        st.caption(plain(look.text))
    if build.error_message:
        st.error(plain(build.error_message), icon=":material/error:")
    for note in build.notes:
        if note.startswith("Started from the knowledge base"):
            st.success(plain(note), icon=":material/auto_awesome:")
    other = [n for n in build.notes if not n.startswith("Started from the knowledge base")]
    if other:
        with st.expander(f"Notes from the analysis ({len(other)})"):
            st.markdown("\n".join(f"- {plain(n)}" for n in other))


def samples(build: BuildDetail) -> None:
    """The sample table (per field: kind, hit rate, flag, value per page) and flagged fields."""
    table = builds.sample_table(build)
    if table.empty:
        return
    st.markdown("**Samples**: each field's value on every sample page (the first record of a "
                "list page), and on how many samples it was found.")
    pages = {p["label"]: st.column_config.TextColumn(p["label"], help=plain(p["url"]))
             for p in (build.report or {}).get("pages", [])}
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "field": "Field", "kind": "Kind", "hit_rate": "Found on",
        "flagged": st.column_config.TextColumn("Flag", width="medium"), **pages})
    flagged = table[table.flagged != ""]
    for row in flagged.itertuples():
        st.warning(f"**{plain(row.field)}** was found on {plain(row.hit_rate)} samples only: "
                   "mark it wrong, "
                   "or paste a value it should have.", icon=":material/flag:")
    for url, problem in ((build.report or {}).get("errors") or {}).items():
        st.warning(f"{plain(url)} could not be extracted: {plain(problem)}",
                   icon=":material/warning:")
    counts = (build.report or {}).get("record_counts", {})
    if counts:
        st.caption("Records per page: " + plain(", ".join(
            f"{p['label']}: {counts.get(p['url'], 0)}" for p in build.report["pages"])))
        _records(build)
    _next_page(build)
    _detail_pages(build)
    with st.expander("Proposed JSON Schema and config package"):
        schema, package = st.columns(2)
        schema.json(build.schema or {})
        package.json(build.package or {})


def _detail_pages(build: BuildDetail) -> None:
    """Fields read on each record's own page: their values on the pages the build looked at."""
    detail = (build.report or {}).get("detail")
    if not detail:
        return
    st.text(f"Read on each record's own page (its '{detail['link']}' link): "
            + ", ".join(detail["fields"]))
    table = pd.DataFrame({"page": detail["pages"], **{
        name: ["—" if v is None else str(v) for v in values]
        for name, values in detail["fields"].items()}})
    st.dataframe(table, hide_index=True, width="stretch")


def _next_page(build: BuildDetail) -> None:
    """Page 2 of a list, read with the package (the pagination the build found)."""
    preview = (build.report or {}).get("next_page")
    if not preview:
        return
    if preview.get("error"):
        st.warning("Page 2 could not be read:", icon=":material/warning:")
        st.text(f"{preview['url']}: {preview['error']}")
        return
    st.text(f"Page 2 ({preview['url']}): {preview['count']} records with this package; "
            "the first ones:")
    st.dataframe(pd.DataFrame(preview.get("records") or []).astype(str), hide_index=True,
                 width="stretch")


def _records(build: BuildDetail) -> None:
    """Every record found on one sample page (the first ones, as the worker kept them)."""
    with st.expander("Records found on each sample"):
        pages = {p["url"]: p["label"] for p in build.report["pages"]}
        url = st.selectbox("Sample page", list(pages), format_func=pages.get,
                           key=f"builder_records_{build.id}")
        records = build.report.get("records", {}).get(url) or []
        shown, total = len(records), build.report["record_counts"].get(url, 0)
        st.dataframe(pd.DataFrame(records), hide_index=True, width="stretch",
                     column_config=_record_columns(build))
        if total > shown:
            st.caption(f"The first {plain(shown)} of {plain(total)} records.")


def _record_columns(build: BuildDetail) -> dict[str, Any]:
    """Images as thumbnails and links as links, by the kind each field has."""
    columns: dict[str, Any] = {}
    for name in build.field_names:
        kind = builds.field_kind(build.schema, build.package, name)
        if kind == builds.FieldKind.IMAGE:
            columns[name] = st.column_config.ImageColumn(name)
        elif kind == builds.FieldKind.URL:
            columns[name] = st.column_config.LinkColumn(name)
    return columns


def feedback(actor: Actor, build: BuildDetail, model: bool) -> None:
    """Per-field corrections, a field from an example value, and free text (with a model)."""
    st.markdown("**Corrections**")
    with st.form(f"builder_fields_{build.id}_{build.iteration}"):
        for column, title in zip(st.columns([2, 1, 1]), ("Field name", "Kind", "Action")):
            column.caption(plain(title))
        ops = [op for name in build.field_names for op in _field_row(build, name)]
        if st.form_submit_button("Apply corrections", icon=":material/edit:"):
            _send(actor, build, ops)
    with st.form(f"builder_example_{build.id}_{build.iteration}"):
        st.markdown("**Add a field from an example value**: paste a value you see on a sample "
                    "page. Give a new name to add a field, or an existing one to correct it.")
        name_col, value_col = st.columns([1, 2])
        name = name_col.text_input("Field to add or correct", placeholder="sku")
        value = value_col.text_input("Example value from a sample page", placeholder="LMP-101")
        if st.form_submit_button("Find this value", icon=":material/search:"):
            _send(actor, build, [{"op": "example", "name": name.strip(), "value": value}])
    if model:
        with st.form(f"builder_text_{build.id}_{build.iteration}"):
            text = st.text_area("Tell the model what is wrong")
            if st.form_submit_button("Send to the model", icon=":material/chat:"):
                _send(actor, build, [{"op": "text", "text": text}])
    else:
        st.caption("Free-text feedback needs a language model (none is configured); the "
                   "controls above work without one.")


def _field_row(build: BuildDetail, name: str) -> list[dict[str, Any]]:
    kinds, key = list(builds.FIELD_KINDS), f"builder_f_{build.id}_{build.iteration}_{name}"
    kind = builds.field_kind(build.schema, build.package, name)
    new_name_col, kind_col, action_col = st.columns([2, 1, 1])
    hidden = "collapsed"  # the column captions above say what each widget is
    new_name = new_name_col.text_input(f"Field {name}", value=name, key=f"{key}_name",
                                       label_visibility=hidden)
    new_kind = kind_col.selectbox(f"Kind of {name}", kinds, key=f"{key}_kind",
                                  index=kinds.index(kind) if kind in kinds else 0,
                                  label_visibility=hidden)
    action = action_col.selectbox(f"Action on {name}", [KEEP, DROP, WRONG], key=f"{key}_do",
                                  label_visibility=hidden)
    if action == DROP:
        return [{"op": "drop", "field": name}]
    ops: list[dict[str, Any]] = []
    if action == WRONG:
        ops.append({"op": "wrong", "field": name})
    elif new_kind != kind:
        ops.append({"op": "retype", "field": name, "type": new_kind})
    if new_name.strip() != name:
        ops.append({"op": "rename", "field": name, "to": new_name.strip()})
    return ops


def _send(actor: Actor, build: BuildDetail, ops: list[dict[str, Any]]) -> None:
    if perform(lambda s: builds.submit_feedback(s, actor, build.id, ops)):
        rerun_with("Feedback sent: a new iteration is on its way.")


def iterations(actor: Actor, build: BuildDetail) -> None:
    """Every iteration with what changed, and a diff between any two."""
    history = pd.DataFrame([(i.number, i.created_at, "; ".join(i.changes))
                            for i in build.iterations], columns=["number", "at", "changes"])
    st.dataframe(history, hide_index=True, width="stretch", column_config={
        "number": "Iteration", "at": st.column_config.DatetimeColumn("At", format="HH:mm:ss"),
        "changes": st.column_config.TextColumn("What changed", width="large")})
    if len(build.iterations) < 2:
        return
    numbers = [i.number for i in build.iterations]
    before_col, after_col = st.columns(2)
    before = before_col.selectbox("Compare iteration", numbers, index=len(numbers) - 2,
                                  key=f"builder_before_{build.id}")
    after = after_col.selectbox("with iteration", numbers, index=len(numbers) - 1,
                                key=f"builder_after_{build.id}")
    diff = perform(lambda s: builds.diff_iterations(s, actor, build.id, before, after))
    if diff is not None and diff.empty:
        st.caption("No difference in fields, selectors or hit rates.")
    elif diff is not None:
        st.dataframe(diff, hide_index=True, width="stretch", column_config={
            "field": "Field", "change": "Change", "before": "Before", "after": "After",
            "hits_before": "Found on (before)", "hits_after": "Found on (after)"})


def confirm(actor: Actor, build: BuildDetail) -> None:
    """Confirm the current package (below the samples and corrections it is judged by)."""
    if build.status == BuildStatus.PENDING_USER_FEEDBACK and build.can_change:
        if st.button("Confirm this package", type="primary", icon=":material/verified:",
                     key="builder_confirm"):
            if perform(lambda s: builds.confirm_build(s, actor, build.id)):
                rerun_with("Confirmed and remembered in the knowledge base.")


def next_steps(actor: Actor, build: BuildDetail) -> None:
    """Once confirmed: make a schema and a job, then start a run (the next thing to do, so the
    page shows it above the samples)."""
    if build.status != BuildStatus.CONFIRMED or not build.can_change:
        return
    if build.job_id is None:
        if st.button("Create schema and job", type="primary", icon=":material/work:",
                     key="builder_make_job"):
            if perform(lambda s: builds.create_schema_and_job(s, actor, build.id)):
                rerun_with("Created an extractor schema and a job from this build.")
        return
    st.success("This build has a schema and a job.", icon=":material/work:")
    if st.button("Start a run of the job", type="primary", icon=":material/play_arrow:",
                 key="builder_start_run"):
        if perform(lambda s: runs.start_run(s, actor, build.job_id), "Run started."):
            st.page_link("pages/runs.py", label="Watch it on the Runs page",
                         icon=":material/directions_run:")
    st.page_link("pages/jobs.py", label="Edit the job on the Jobs page", icon=":material/work:")
