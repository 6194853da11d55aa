"""How the model-provider settings look: the provider form, the connection test's outcome, the
price table (editable by admins) and the user's recent model costs."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd
import streamlit as st

from core.ledger import ModelCalls
from core.llm.prices import EDITABLE_COLUMNS
from core.llm.providers import ProviderView
from core.platform.words import counted
from ui.text import plain
from ui.vocabulary import CONNECTION_STATUS, ConnectionStatus

DEFAULTS = {"name": "OpenAI", "base_url": "https://api.openai.com/v1", "model": "gpt-4o-mini"}
PRICE_COLUMNS = {
    "provider": st.column_config.TextColumn("Provider", max_chars=60),
    "model_pattern": st.column_config.TextColumn(
        "Model pattern", max_chars=120, required=True,
        help="Model names it prices; * stands for any text. The longest matching pattern wins."),
    "input_per_million": st.column_config.NumberColumn("Input (USD / 1M tokens)", min_value=0,
                                                       format="%.4f"),
    "output_per_million": st.column_config.NumberColumn("Output (USD / 1M tokens)", min_value=0,
                                                        format="%.4f"),
    "currency": st.column_config.TextColumn("Currency", disabled=True),
    "updated_at": st.column_config.DatetimeColumn("Updated", format="YYYY-MM-DD HH:mm",
                                                  disabled=True),
    "updated_by": st.column_config.TextColumn("By", disabled=True),
}


@dataclass(frozen=True)
class ProviderInput:
    name: str
    base_url: str
    model: str
    api_key: str
    timeout_seconds: float


def provider_form(key: str, current: ProviderView | None, default_timeout: float,
                  ) -> ProviderInput | None:
    """Draw the form; return what was submitted, or None before submission. The key field
    starts empty every time: a saved key is never sent back to the browser."""
    with st.form(key):
        name = st.text_input("Name", value=current.name if current else DEFAULTS["name"],
                             max_chars=60, help="Yours to choose; the cost ledger shows it.")
        base_url = st.text_input(
            "Base URL", value=current.base_url if current else DEFAULTS["base_url"],
            help="Of an OpenAI-compatible API, usually ending in /v1 (OpenAI, OpenRouter, "
                 "vLLM, Ollama: http://localhost:11434/v1).")
        model = st.text_input("Model", value=current.model if current else DEFAULTS["model"],
                              max_chars=120)
        api_key = st.text_input(
            "API key", type="password", autocomplete="off",
            placeholder=f"Saved key: {current.key}" if current else "sk-…",
            help="Stored encrypted. Leave empty to keep the saved key (or for a local server "
                 "that needs none).")
        timeout = st.number_input("Timeout (seconds)", min_value=1.0, max_value=600.0, step=5.0,
                                  value=current.timeout_seconds if current else default_timeout)
        if not st.form_submit_button("Save provider", type="primary"):
            return None
    return ProviderInput(name, base_url, model, api_key, timeout)


def provider_summary(view: ProviderView) -> None:
    st.markdown(f"**{plain(view.name)}** · {plain(view.model)} · {plain(view.base_url)}")
    st.caption(f"API key: {plain(view.key)} · timeout {view.timeout_seconds:g} s")
    if not view.key_readable:
        st.warning("Your saved API key can no longer be read (the server's secret key "
                   "changed). Enter it again in the form below.", icon=":material/key_off:")


def connection_status(view: ProviderView) -> None:
    """The last connection test: never run, running, or its outcome and when."""
    look = CONNECTION_STATUS[view.test_status]
    if view.test_status == ConnectionStatus.NEVER:
        st.caption(plain(f"{look.label}."))
    elif view.testing:
        st.info(plain(look.label), icon=look.icon)
    else:
        when = f" ({view.tested_at:%Y-%m-%d %H:%M:%S} UTC)" if view.tested_at else ""
        show = st.success if view.test_status == ConnectionStatus.OK else st.error
        show(f"{view.test_message}{when}", icon=look.icon)


def price_table(table: pd.DataFrame, editable: bool) -> list[dict[str, Any]] | None:
    """Admins: an editor (add, change, delete rows) and a save button → the rows to save.
    Others: the table, read-only."""
    table = table.assign(updated_by=table.updated_by.fillna("default"))  # shipped, not edited
    if not editable:
        st.dataframe(table, hide_index=True, width="stretch", column_config=PRICE_COLUMNS)
        return None
    edited = st.data_editor(table, hide_index=True, width="stretch", num_rows="dynamic",
                            column_config=PRICE_COLUMNS, key="model_provider_prices")
    if not st.button("Save prices", icon=":material/save:", key="model_provider_save_prices"):
        return None
    return edited[EDITABLE_COLUMNS].to_dict("records")


def recent_costs(recent: ModelCalls) -> None:
    """The ledger's latest model calls and their totals (added up by the ledger, not here)."""
    if not recent.calls:
        st.caption("No model calls yet.")
        return
    calls, total = len(recent.calls), recent.cost_usd
    cost = f"${total:.6f}" if total < Decimal("0.01") else f"${total:,.4f}"
    st.caption(f"Latest {plain(counted(calls, 'call'))}: "
               f"{recent.input_tokens:,} input and {recent.output_tokens:,} output tokens, "
               f"{plain(cost)}.")
    if recent.unpriced:
        st.caption("Some models have no price: their tokens are counted, not their cost. "
                   "An admin can add one in the price table above.")
    st.dataframe(recent.table(), hide_index=True, width="stretch", column_config={
        "occurred_at": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD HH:mm:ss"),
        "provider": "Provider", "model": "Model",
        "input_tokens": st.column_config.NumberColumn("Input tokens", format="localized"),
        "output_tokens": st.column_config.NumberColumn("Output tokens", format="localized"),
        "cost_usd": st.column_config.NumberColumn("Cost (USD)", format="%.6f"),
    })
