"""SEO site crawl: start a crawl, watch it live, then read its findings grouped by template,
its pages, the trend of issue counts and the changes since the previous crawl of the site."""

import streamlit as st

from core.seo import crawls
from core.platform.settings import get_settings
from ui import cost_views
from ui.auth import acting_user
from ui.links import open_linked
from ui.messages import form_key, perform, show_flash
from ui.seo_crawl_views import crawls_table, progress, report_tabs, start_form
from ui.workflow_views import WorkflowRef, workflow_panel

actor = acting_user()
st.title("Site crawl")
st.caption("Breadth-first through one site (robots.txt obeyed, sitemaps read), then site-wide "
           "findings: broken links, redirects, duplicates, canonicals, hreflang, sitemap, depth.")
show_flash()

settings = get_settings()
polling = bool(perform(lambda s: crawls.has_active_crawls(s, actor)))
if actor.can_write:
    none_yet = not polling and getattr(perform(lambda s: crawls.list_crawls(s, actor, 1)),
                                       "empty", False)
    # Open for a first crawl; keyed like the form, so it closes once a crawl has started.
    with st.expander(":material/add: New crawl", expanded=none_yet,
                     key=f"{form_key('seo_crawl_new')}_box"):
        start_form(actor, settings.seo_crawl_max_pages, settings.fetch_delay_seconds)


@st.fragment(run_every="1s" if polling else None)
def live() -> None:
    """The list and the open crawl; polls only while a crawl is queued or running."""
    table = perform(lambda s: crawls.list_crawls(s, actor))
    if table is None:
        return
    if table.empty:
        st.info("No crawls yet." + (" Start one with New crawl above." if actor.can_write
                                    else ""), icon=":material/travel_explore:")
        return
    if polling and not table.status.isin(crawls.WorkStatus.ACTIVE).any():
        st.rerun()  # the last active crawl ended: redraw once, without the timer
    crawls_table(table)
    labels = {row.id: f"{row.start_url} · started {row.created_at:%Y-%m-%d %H:%M:%S}"
              for row in table.itertuples()}
    open_linked("crawl", "seo_crawl_open", labels)  # ?crawl=<id>: a link from the Overview
    chosen = st.selectbox("Open crawl", list(labels), format_func=labels.get,
                          key="seo_crawl_open")
    crawl = perform(lambda s: crawls.get_crawl(s, actor, chosen))
    if crawl is None:
        return
    progress(actor, crawl)
    cost_views.work_cost(actor, crawl_id=crawl.id)
    with st.expander(":material/account_tree: Workflow: graph, timeline and events"):
        workflow_panel(actor, WorkflowRef.crawl(crawl.id), "seo_crawl_wf")
    if not crawl.active:
        report = perform(lambda s: crawls.crawl_report(s, actor, crawl.id))
        if report is not None:
            report_tabs(report)


live()
