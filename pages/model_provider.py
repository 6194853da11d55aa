"""Model provider (optional): an OpenAI-compatible endpoint the objective builder may use to
propose fields, repair selectors and read free-text feedback; prices; your model costs."""

import streamlit as st

from core import ledger
from core.llm import prices, providers
from core.platform.settings import get_settings
from ui.auth import acting_user
from ui.llm_views import (connection_status, price_table, provider_form, provider_summary,
                          recent_costs)
from ui.messages import form_key, perform, renew_form, rerun_with, show_flash, succeeded

actor = acting_user()
st.title("Model provider")
st.caption("Optional: the objective builder works without a model, and better with one. "
           "Every model call is recorded with its tokens and cost.")
show_flash()

view = perform(lambda s: providers.get_provider(s, actor))
if view is not None:
    provider_summary(view)
    polling = view.testing

    @st.fragment(run_every="1s" if polling else None)
    def connection() -> None:
        """Polls only while a test runs in its worker process."""
        current = perform(lambda s: providers.get_provider(s, actor))
        if current is None:
            return
        if polling and not current.testing:
            st.rerun()  # the test ended: redraw once, without the timer
        connection_status(current)
        test, delete = st.columns(2)
        if test.button("Test connection", icon=":material/network_check:",
                       disabled=current.testing or not actor.can_write, key="model_provider_test"):
            if succeeded(lambda s: providers.request_connection_test(s, actor)):
                st.rerun()
        if delete.button("Delete provider", icon=":material/delete:",
                         disabled=not actor.can_write, key="model_provider_delete"):
            if succeeded(lambda s: providers.delete_provider(s, actor)):
                rerun_with("Model provider deleted; the builder works without a model.")

    connection()

if actor.can_write:
    with st.expander(":material/tune: Change provider" if view else ":material/add: Set up a "
                     "provider", expanded=view is None):
        entered = provider_form(form_key("model_provider_form"), view,
                                get_settings().llm_timeout_seconds)
        saved = entered and perform(lambda s: providers.save_provider(
            s, actor, name=entered.name, base_url=entered.base_url, model=entered.model,
            api_key=entered.api_key, timeout_seconds=entered.timeout_seconds))
        if saved:
            renew_form("model_provider_form")  # the key field starts empty again
            rerun_with(f"Saved {saved.name} ({saved.model}). Test the connection to check it.")

st.subheader("Prices")
table = perform(lambda s: prices.price_table(s, actor))
if table is not None:
    rows = price_table(table, editable=actor.is_admin)
    if rows is not None:
        changed = perform(lambda s: prices.save_prices(s, actor, rows))
        if changed is not None:
            rerun_with(f"Prices saved ({changed} rows changed)." if changed else "No changes.")
    if actor.is_admin and st.button("Reset to default prices", icon=":material/restart_alt:",
                                    key="model_provider_reset_prices"):
        if succeeded(lambda s: prices.reset_default_prices(s, actor)):
            rerun_with("Prices reset to the defaults.")

st.subheader("Your recent model costs")
costs = perform(lambda s: ledger.recent_model_calls(s, actor))
if costs is not None:
    recent_costs(costs)
