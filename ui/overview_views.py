"""Widgets of the Overview page: where a new user starts, and the latest runs, builds and SEO
crawls, each a link that opens it on its page. Names and URLs are user text: shown plain."""

from __future__ import annotations

import streamlit as st

from core.scraping.overview import Recent, RecentWork
from ui.text import plain
from ui.vocabulary import BUILD_STATUS, WORK_STATUS
from vocabularies import BuildStatus, WorkStatus


def first_steps() -> None:
    """Day one: nothing made yet. The builder is where a new user starts."""
    st.info("Start with the Objective builder: say what you want and give a few sample pages; "
            "it proposes the fields, shows what it finds on each sample, learns from your "
            "corrections, then makes the schema and the job in one click.",
            icon=":material/auto_awesome:")
    st.page_link("pages/builder.py", label="Open the Objective builder",
                 icon=":material/arrow_forward:")
    st.caption("Already know your selectors? Define a job yourself on the Jobs page.")


def _status(item: RecentWork, builds: bool) -> str:
    if builds:
        return BUILD_STATUS[BuildStatus(item.status)].label.lower()
    return WORK_STATUS[WorkStatus(item.status)].label.lower()


def _links(items: tuple[RecentWork, ...], page: str, param: str, builds: bool = False) -> None:
    for item in items:
        st.page_link(page=page, query_params={param: str(item.id)},
                     label=plain(f"{item.name[:60]} · {_status(item, builds)} · "
                                 f"{item.created_at:%Y-%m-%d %H:%M}"))


def recent_lists(recent: Recent) -> None:
    st.subheader("Recent work")
    runs, builds, crawls = st.columns(3)
    with runs:
        st.markdown("**Runs**")
        _links(recent.runs, "pages/runs.py", "run")
        if not recent.runs:
            st.caption("No runs yet: start one from a job.")
    with builds:
        st.markdown("**Builds**")
        _links(recent.builds, "pages/builder.py", "build", builds=True)
        if not recent.builds:
            st.caption("No builds yet.")
    with crawls:
        st.markdown("**SEO crawls**")
        _links(recent.crawls, "pages/seo_crawl.py", "crawl")
        if not recent.crawls:
            st.caption("No site crawls yet.")
