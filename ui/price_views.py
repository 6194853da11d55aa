"""The price table on the Costs page, for admins (``core.ledger.prices``): the prices in force,
a new price with a preview of what a past period would cost at it (nothing changes), saving it
(recorded costs stay as they were), and re-pricing a chosen period on the record (audited)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pandas as pd
import streamlit as st

from core.ledger import prices
from core.platform.access import Actor
from ui.cost_views import money
from ui.messages import perform, succeeded
from ui.runtime import transaction
from ui.text import plain

KINDS = [k.value for k in prices.PriceKind]


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=timezone.utc)


def _period(picked: object) -> tuple[datetime, datetime] | None:
    """The [start, end) of a date range picked with both ends (end day included)."""
    if not isinstance(picked, (tuple, list)) or len(picked) != 2:
        st.error("Pick the first and the last day of the period.", icon=":material/error:")
        return None
    return _start_of(picked[0]), _start_of(picked[1] + timedelta(days=1))


def price_editor(actor: Actor) -> None:
    if not actor.is_admin:
        return
    today = datetime.now(timezone.utc).date()
    with st.expander(":material/sell: Prices (admins): change one, preview it, re-price"):
        with transaction() as session:
            rows = prices.list_prices(session, datetime.now(timezone.utc))
        st.dataframe(pd.DataFrame(
            [(p.kind.value, p.provider or "*", p.model_pattern, float(p.usd), p.per,
              p.effective_from.date()) for p in rows],
            columns=["kind", "provider", "model", "USD", "per", "since"]),
            hide_index=True, width="stretch",
            column_config={"USD": st.column_config.NumberColumn(format="$%.6f")})
        with st.form("costs_price_form"):
            kind, usd, per = st.columns(3)
            fields = {"kind": kind.selectbox("Kind", KINDS, key="costs_price_kind"),
                      "usd": usd.text_input("USD", key="costs_price_usd"),
                      "per": per.text_input("Per units", value="1", key="costs_price_per")}
            provider, model, start = st.columns(3)
            fields["provider"] = provider.text_input("Provider (model kinds)",
                                                     key="costs_price_provider")
            fields["model_pattern"] = model.text_input("Model pattern (model kinds)",
                                                       key="costs_price_model")
            since = start.date_input("In force from", value=today, key="costs_price_from")
            span = st.date_input("Preview over", value=(today.replace(day=1), today),
                                 key="costs_price_span")
            show, save = st.columns(2)
            previewing = show.form_submit_button("Preview")
            saving = save.form_submit_button("Save price", type="primary")
        if previewing or saving:
            _preview_or_save(actor, fields, _start_of(since), span, saving)
        _reprice_form(actor, today)


def _preview_or_save(actor: Actor, fields: dict[str, str], since: datetime, span: object,
                     saving: bool) -> None:
    period = _period(span)
    new = perform(lambda _: prices.read_new_price(
        fields["kind"], fields["usd"], provider=fields["provider"].strip(),
        model_pattern=fields["model_pattern"].strip(), per=fields["per"], effective_from=since))
    if period is None or new is None:
        return
    shown = perform(lambda session: prices.preview(session, actor, new, *period))
    if shown is None:
        return
    unpriced = f", {shown.unpriced_rows:,} of them unpriced" if shown.unpriced_rows else ""
    st.info(plain(
        f"{period[0]:%Y-%m-%d} to {period[1] - timedelta(days=1):%Y-%m-%d}: {shown.rows:,} ledger "
        f"rows of {new.kind.value} ({shown.quantity.normalize():,f} units{unpriced}) cost "
        f"{money(shown.recorded_usd)} as recorded; at ${new.usd} per {new.per:,} they would cost "
        f"{money(shown.new_usd)} ({'+' if shown.difference >= 0 else '-'}"
        f"{money(abs(shown.difference))})."), icon=":material/preview:")
    if saving:
        succeeded(lambda session: prices.set_price(session, actor, new, source="Costs page"),
                  f"Price saved, in force from {since:%Y-%m-%d %H:%M} UTC. Recorded costs are "
                  "unchanged: re-price a period below to charge it the new price.")
    else:
        st.caption("Nothing was changed.")


def _reprice_form(actor: Actor, today: date) -> None:
    with st.form("costs_reprice_form"):
        st.caption("Re-price: charge every ledger row of one kind in a period the price in force "
                   "at its time, as the table says now. Recorded in the audit log.")
        kind, provider, span = st.columns(3)
        chosen = kind.selectbox("Kind to re-price", KINDS, key="costs_reprice_kind")
        only = provider.text_input("Only this provider", key="costs_reprice_provider")
        picked = span.date_input("Period", value=(today.replace(day=1), today),
                                 key="costs_reprice_span")
        if st.form_submit_button("Re-price this period"):
            period = _period(picked)
            if period is not None:
                changed = perform(lambda session: prices.reprice(
                    session, actor, chosen, *period, provider=only.strip()))
                if changed is not None:
                    st.success(plain(f"Re-priced {changed:,} ledger rows of {chosen}."),
                               icon=":material/check_circle:")
