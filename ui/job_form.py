"""The scraping-job form, shared by "New job" and the job's edit view.

It is not an ``st.form``: the schedule preview has to follow the cron field as it is typed, and a
form only reports its widgets on submit. Every widget key starts with the caller's ``key``.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pandas as pd
import streamlit as st

from core.scraping import jobs
from core.platform.errors import ValidationError
from core.scraping.jobs import JobDetail, JobInput, JobOptions, PaginationType
from core.platform.schedule import zone_names
from core.platform.settings import get_settings
from ui.text import plain
from ui.vocabulary import PAGINATION_TYPE

STARTER_PACKAGE = {
    "version": 1,
    "container": "div.product",
    "fields": {
        "name": {"selector": "h2", "transforms": ["strip"], "required": True},
        "price": {"selector": ".price", "transforms": ["price"]},
        "url": {"selector": "a", "take": "attr", "attribute": "href",
                "transforms": ["absolute_url"]},
    },
}
TIME_FORMAT = "%a %Y-%m-%d %H:%M %Z"

SchemaChoices = dict[uuid.UUID | None, str]


def schema_choices(readable: pd.DataFrame, current: JobDetail | None = None) -> SchemaChoices:
    """No schema, the latest version of every schema the user can read, and the version the
    job pins when it is not among them (an older one, or one no longer shared)."""
    choices: SchemaChoices = {None: "(no schema: keep items as extracted)"}
    choices |= {row.id: f"{row.name} · v{row.version} · {row.owner}"
                for row in readable.itertuples()}
    if current and current.extractor_schema_id and current.extractor_schema_id not in choices:
        choices[current.extractor_schema_id] = (f"{current.schema_name} · "
                                                f"v{current.schema_version} (pinned)")
    return choices


def job_form(key: str, schemas: SchemaChoices, current: JobDetail | None = None,
             submit_label: str = "Create job") -> JobInput | None:
    """Draw the form; return what was submitted, or None until the button is clicked."""
    name = st.text_input("Name", value=current.name if current else "", max_chars=200,
                         key=f"{key}_name")
    description = st.text_area("Description", value=current.description if current else "",
                               height=68, key=f"{key}_description")
    urls = st.text_area("Target URLs (one per line)", key=f"{key}_urls",
                        value="\n".join(current.target_urls) if current else "",
                        placeholder="https://shop.example/lamps")
    pinned = current.extractor_schema_id if current else None
    schema_id = st.selectbox("Extractor schema", list(schemas), format_func=schemas.get,
                             index=list(schemas).index(pinned), key=f"{key}_schema",
                             help="The job keeps this exact version until you pick another.")
    package = st.text_area("Config package (JSON)", height=300, key=f"{key}_package",
                           value=json.dumps(current.config_package if current else STARTER_PACKAGE,
                                            indent=2),
                           help='Add "detail": {"link": "url", "fields": {"sku": {"selector": '
                           '".sku"}}, "max_pages": 200} to follow each record\'s link and read '
                           "more fields on its own page (one level, each page once per run).")
    st.markdown("**Pages and fetching**")
    pagination_type, pagination = _pagination_fields(key, current)
    options = _option_fields(key, current.options if current else JobOptions())
    st.markdown("**Schedule**")
    cron, zone = _schedule_fields(key, current)
    if not st.button(plain(submit_label), type="primary", key=f"{key}_save"):
        return None
    return JobInput(name=name, description=description, target_urls=urls.splitlines(),
                    extractor_schema_id=schema_id, config_package=package,
                    pagination_type=pagination_type, pagination=pagination, options=options,
                    schedule_cron=cron, schedule_timezone=zone)


def _pagination_fields(key: str, current: JobDetail | None) -> tuple[str, dict[str, Any]]:
    kinds = list(PaginationType)
    kind = st.radio("Pagination", kinds, format_func=lambda kind: PAGINATION_TYPE[kind].label,
                    horizontal=True,
                    index=kinds.index(current.pagination_type) if current else 0,
                    key=f"{key}_pagination",
                    help="Set here, it replaces the config package's pagination.")
    saved = current.pagination if current and current.pagination_type == kind else {}
    if kind == PaginationType.NEXT_BUTTON:
        selector = st.text_input("Next-link selector", value=saved.get("selector", ""),
                                 placeholder="a.next", key=f"{key}_next_selector")
        return kind, {**saved, "selector": selector}
    if kind == PaginationType.URL_PATTERN:
        pattern = st.text_input("URL pattern (with {page})", value=saved.get("pattern", ""),
                                placeholder="https://shop.example/lamps?page={page}",
                                key=f"{key}_pattern")
        first, last = st.columns(2)
        first_page = first.number_input("First page", min_value=0, step=1,
                                        value=saved.get("first_page", 1), key=f"{key}_first_page")
        last_page = last.number_input("Last page (empty: up to max pages)", min_value=0, step=1,
                                      value=saved.get("last_page"), key=f"{key}_last_page")
        return kind, {"pattern": pattern, "first_page": int(first_page),
                      "last_page": None if last_page is None else int(last_page)}
    return kind, {}


def _option_fields(key: str, options: JobOptions) -> dict[str, Any]:
    pages, delay, concurrency, timeout = st.columns(4)
    values: dict[str, Any] = {
        "max_pages": pages.number_input("Max pages", min_value=1, step=1,
                                        value=options.max_pages, key=f"{key}_max_pages"),
        "delay_between_requests": delay.number_input(
            "Delay between requests (s)", min_value=0.0, step=0.5,
            value=float(options.delay_between_requests), key=f"{key}_delay"),
        "concurrency": concurrency.number_input(
            "Concurrency", min_value=1, max_value=jobs.MAX_CONCURRENCY, step=1,
            value=options.concurrency, key=f"{key}_concurrency"),
        "timeout": timeout.number_input("Timeout (s)", min_value=0.0, step=5.0,
                                        value=float(options.timeout), key=f"{key}_timeout"),
    }
    render, robots = st.columns(2)
    values["render_javascript"] = render.checkbox(
        "Render JavaScript", value=options.render_javascript, key=f"{key}_render")
    values["respect_robots"] = robots.checkbox("Respect robots.txt", value=options.respect_robots,
                                               key=f"{key}_robots")
    values["wait_for"] = st.text_input("Wait for (CSS selector, when rendering)",
                                       value=options.wait_for, key=f"{key}_wait_for")
    values["user_agent"] = st.text_input("User agent (empty: the default)",
                                         value=options.user_agent, key=f"{key}_user_agent",
                                         placeholder=get_settings().user_agent)
    charge, items = st.columns(2)
    values["max_charge_usd"] = charge.number_input(
        "Max charge per run (USD, 0: no cap)", min_value=0.0, step=0.01, format="%.2f",
        value=float(options.max_charge_usd), key=f"{key}_max_charge",
        help="The run stops (keeping what it found) at the first heartbeat its cost reaches "
             "this.")
    values["max_items_per_run"] = items.number_input(
        "Max items per run (0: no cap)", min_value=0, step=1,
        value=int(options.max_items_per_run), key=f"{key}_max_items",
        help="The run stops once it has stored this many new items.")
    return values


def _schedule_fields(key: str, current: JobDetail | None) -> tuple[str, str]:
    cron_column, zone_column = st.columns(2)
    cron = cron_column.text_input("Cron schedule (empty: runs only when started)",
                                  value=(current.schedule_cron or "") if current else "",
                                  placeholder="0 6 * * 1-5", key=f"{key}_cron")
    zones = list(zone_names())
    zone = zone_column.selectbox("Time zone", zones, key=f"{key}_zone",
                                 index=zones.index(current.schedule_timezone if current else "UTC"))
    schedule_preview(cron, zone)
    return cron, zone


def schedule_preview(cron: str, zone: str) -> None:
    """The next five run times, recomputed on every change of the cron field or the zone."""
    if not cron.strip():
        st.caption("No schedule: the job runs only when started.")
        return
    try:
        times = jobs.preview_schedule(cron, zone)
    except ValidationError as exc:
        st.warning(plain(str(exc)), icon=":material/schedule:")
        return
    st.table(pd.DataFrame({"Next 5 runs": [t.strftime(TIME_FORMAT) for t in times]}))


def job_summary(detail: JobDetail) -> None:
    targets, schema, next_run = st.columns(3)
    targets.metric("Target URLs", len(detail.target_urls))
    schema.metric("Extractor schema", f"{detail.schema_name} v{detail.schema_version}"
                  if detail.schema_name else "none")
    upcoming = f"{detail.next_runs[0]:%d %b, %H:%M}" if detail.next_runs else "not scheduled"
    next_run.metric(f"Next run ({plain(detail.schedule_timezone)})", upcoming)
    st.caption(f"Owner {plain(detail.owner_email)} · updated {detail.updated_at:%Y-%m-%d %H:%M} "
               "UTC")
