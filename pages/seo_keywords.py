"""Keywords: what an audited page is about (from its own content), and keyword rankings and
backlinks imported from the CSV files Search Console, Semrush and Ahrefs export."""

import streamlit as st

from core.seo import imports, keywords, reports
from ui import seo_views as view
from ui.auth import acting_user
from ui.messages import perform, rerun_with, show_flash

actor = acting_user()
st.title("Keywords and backlinks")
show_flash()
research, rankings, backlinks = st.tabs(["Keyword research", "Rankings", "Backlinks"])

with research:
    st.caption("Phrases of one to three words, weighted by where they occur: title, main "
               "heading, description, headings, body. Every SEO audit refreshes them.")
    urls = perform(lambda s: reports.audited_urls(s, actor)) or []
    url = st.selectbox("Page", urls, key="seo_keywords_url", placeholder="Audit a page first")
    table = url and perform(lambda s: keywords.keyword_table(s, actor, url))
    if table is not None and len(table):
        view.keyword_table(table)
    else:
        st.info("No keywords yet: audit a page on the SEO audit page.", icon=":material/key:")
    if url and actor.can_write and st.button("Audit again", icon=":material/refresh:"):
        if perform(lambda s: reports.request_audit(s, actor, url)):
            rerun_with("Audit started; the keywords refresh when it has finished.")

with rankings:
    if actor.can_write:
        with st.form("seo_rankings_form", clear_on_submit=True):
            upload = st.file_uploader("Rankings CSV", type=["csv", "tsv", "txt"])
            site = st.text_input("Site", placeholder="https://shop.example/",
                                 help="For exports without a page column (Search Console's "
                                 "Queries.csv).")
            day = st.date_input("As of", help="For exports without a date column.")
            if st.form_submit_button("Import", icon=":material/upload:"):
                done = view.require_file(upload) and perform(lambda s: imports.import_rankings(
                    s, actor, upload.getvalue(), site_url=site, as_of=day))
                if done:
                    rerun_with(view.import_result(done))
    history = perform(lambda s: imports.ranking_history(s, actor))
    if history is not None and len(history):
        view.rankings_charts(imports.rankings_over_time(history), history)
        view.rankings_table(history)
    else:
        st.info("No rankings yet: import a Search Console performance export.",
                icon=":material/trending_up:")

with backlinks:
    if actor.can_write:
        with st.form("seo_backlinks_form", clear_on_submit=True):
            upload = st.file_uploader("Backlinks CSV", type=["csv", "tsv", "txt"])
            target = st.text_input("Linked site", placeholder="https://shop.example/",
                                   help="For exports without a target column.")
            if st.form_submit_button("Import", icon=":material/upload:"):
                done = view.require_file(upload) and perform(lambda s: imports.import_backlinks(
                    s, actor, upload.getvalue(), target_url=target))
                if done:
                    rerun_with(view.import_result(done))
    links = perform(lambda s: imports.list_backlinks(s, actor))
    if links is not None and len(links):
        view.backlinks_table(links)
    else:
        st.info("No backlinks yet: import an Ahrefs, Semrush or Search Console links export.",
                icon=":material/link:")
