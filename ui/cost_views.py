"""What the Costs page, the Overview and the sidebar show of costs (``core.costs``,
``core.budgets``): totals, the stacked chart by kind, breakdowns, the forecast, the budget form
and the notifications. No rule here: every figure comes from the services."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from core import budgets, costs, ledger
from core.costs import CostReport, Line, Waste
from core.platform.access import Actor
from core.platform.words import counted
from ui.messages import succeeded
from ui.runtime import transaction
from ui.text import plain


def money(value: Decimal | None) -> str:
    """``core.ledger.usd_text``: $0.000042 never reads as $0.0000; "—" for no amount."""
    return "—" if value is None else ledger.usd_text(value)


def metric(column: DeltaGenerator, label: str, value: Decimal | None, hint: str = "") -> None:
    """A money metric: short enough for a narrow column ("< $0.0001"), the exact amount in its
    help."""
    shown = "—" if value is None else ledger.usd_short(value)
    exact = "" if value is None else f"Exactly {money(value)}. "
    column.metric(plain(label), shown, help=plain(exact + hint))


def totals(report: CostReport) -> None:
    total, per_run, per_page, per_item, per_valid = st.columns(5)
    metric(total, "Spent", report.total_usd)
    hint = (f"What runs spent (${report.runs_usd:,.4f}; builds, SEO and tests left out) over "
            f"{report.runs:,} runs, {report.pages:,} pages, {report.items:,} items found and "
            f"{report.valid_items:,} valid items stored.")
    metric(per_run, "Per run", report.per(report.runs), hint)
    metric(per_page, "Per page", report.per(report.pages), hint)
    metric(per_item, "Per item", report.per(report.items), hint)
    metric(per_valid, "Per valid item", report.per(report.valid_items),
           hint + " A valid item passed the schema and was new.")
    if report.unpriced_rows:
        st.warning(f"{report.unpriced_rows:,} ledger rows have no price (an unknown model, or a "
                   "kind without a price): they are not in these totals, and they are not free.",
                   icon=":material/price_change:")


def chart(report: CostReport) -> None:
    if not report.by_day:
        st.info("Nothing was spent in this period.")
        return
    frame = pd.DataFrame([(line.group, line.kind, float(line.cost_usd)) for line in report.by_day],
                         columns=["day", "kind", "usd"])
    st.bar_chart(frame, x="day", y="usd", color="kind", stack=True, y_label="USD")


def table(title: str, lines: list[Line]) -> None:
    st.subheader(plain(title))
    if not lines:
        st.caption("Nothing in this period.")
        return
    st.dataframe(pd.DataFrame([(line.group, float(line.cost_usd), line.unpriced)
                               for line in lines], columns=["", "USD", "unpriced rows"]),
                 hide_index=True, width="stretch",
                 column_config={"USD": st.column_config.NumberColumn(format="$%.6f")})


def forecast(report: CostReport) -> None:
    f = report.forecast
    if f is None:
        return
    st.subheader("This month")
    so_far, end, budget = st.columns(3)
    so_far.metric("Month to date", money(f.month_to_date_usd))
    end.metric("Forecast to month end", money(f.month_end_usd))
    budget.metric("Monthly budget", money(f.monthly_budget_usd))
    if f.crosses_on is not None:
        st.warning(f"At the current rate the monthly budget is crossed on "
                   f"{plain(f.crosses_on.isoformat())}.", icon=":material/trending_up:")


def budget_form(actor: Actor) -> None:
    with transaction() as session:
        current = budgets.get_budget(session, actor)
    st.subheader("Budget")
    st.dataframe(pd.DataFrame([(s.period.value, None if s.limit_usd is None else float(s.limit_usd),
                                float(s.spent_usd)) for s in current.spend],
                              columns=["period", "limit (USD)", "spent (USD)"]),
                 hide_index=True)
    with st.form("costs_budget_form"):
        daily, weekly, monthly = st.columns(3)
        values = {name: column.text_input(f"{name.capitalize()} (USD, empty: no limit)",
                                          value="" if current.limits[p] is None
                                          else str(current.limits[p]), key=f"costs_{name}")
                  for (name, column), p in zip((("daily", daily), ("weekly", weekly),
                                                ("monthly", monthly)), current.limits)}
        alerts = st.text_input("Alert at (%, comma-separated)", key="costs_alerts",
                               value=", ".join(str(t) for t in current.thresholds))
        stop = st.checkbox("Stop runs at the limit", value=current.auto_stop, key="costs_stop")
        if st.form_submit_button("Save budget", type="primary"):
            succeeded(lambda session: budgets.set_budget(
                session, actor, **values, thresholds=[a for a in alerts.split(",") if a.strip()],
                auto_stop=stop), "Budget saved.")


def notifications(actor: Actor) -> None:
    with transaction() as session:
        found = budgets.notifications(session, actor)
    st.subheader("Notifications")
    if not found:
        st.caption("No notifications.")
        return
    if any(not n.read for n in found) and st.button("Mark all read", key="costs_mark_read"):
        succeeded(lambda session: budgets.mark_read(session, actor))
        st.rerun()
    for n in found:
        st.markdown(("" if n.read else "**New** · ") + plain(f"{n.created_at:%Y-%m-%d %H:%M} "
                                                             f"{n.title}: {n.body}"))


def unread_badge(actor: Actor) -> None:
    """The sidebar's count of unread notifications."""
    with transaction() as session:
        count = budgets.unread_count(session, actor)
    if count:
        st.sidebar.caption(plain(f"{counted(count, 'unread notification')} "
                                 "(see Costs)"))


WASTE_WORDS = {"failed": "Failed runs", "canceled": "Canceled runs",
               "empty": "Runs that found nothing", "retries": "Retried requests",
               "empty_pages": "Pages that yielded no item"}


def waste(found: Waste) -> None:
    """What the period's runs spent for nothing, part by part."""
    st.subheader("Waste")
    if not found.runs_usd:
        st.caption("No run spent anything in this period.")
        return
    share = float(found.total_usd / found.runs_usd * 100)
    st.caption(plain(f"{money(found.total_usd)} of the {money(found.runs_usd)} runs spent "
                     f"({share:.1f} %) bought nothing: whole failed, canceled and empty runs, "
                     "and in the other runs their retried requests and the pages that yielded "
                     "no item."))
    st.dataframe(pd.DataFrame([(WASTE_WORDS[line.group], int(line.quantity),
                                float(line.cost_usd)) for line in found.lines],
                              columns=["", "how many", "USD"]),
                 hide_index=True, width="stretch",
                 column_config={"USD": st.column_config.NumberColumn(format="$%.6f")})


def work_cost(actor: Actor, **which: object) -> None:
    """What one run (``run_id=``), build (``build_id=``) or crawl (``crawl_id=``) cost, by
    kind, with the quantities that explain it."""
    with transaction() as session:
        found = costs.work_cost(session, actor, **which)  # type: ignore[arg-type]
    label = f"Cost: {money(found.total_usd)}" + (
        f" · {found.credits:,.2f} credits" if found.credits is not None else "") + (
        f" · {found.unpriced} unpriced rows" if found.unpriced else "")
    with st.expander(f":material/payments: {plain(label)}"):
        if not found.lines:
            st.caption("Nothing recorded yet.")
            return
        st.dataframe(pd.DataFrame([(line.kind, float(line.quantity),
                                    None if line.unpriced and not line.cost_usd
                                    else float(line.cost_usd)) for line in found.lines],
                                  columns=["kind", "quantity", "USD"]),
                     hide_index=True, width="stretch",
                     column_config={"USD": st.column_config.NumberColumn(format="$%.6f")})
        st.caption("Each row is priced when recorded, at the price then in force (Costs → "
                   "prices). Credits: 1 per request (retries included) + 4 per page rendered "
                   "+ 1 per 1,000 model tokens.")


def month_against_budget(actor: Actor) -> None:
    """The Overview's line: this month's spend against the monthly budget."""
    with transaction() as session:
        found = costs.forecast(session, actor)
    spent, limit, projected = st.columns(3)
    spent.metric("Spent this month", money(found.month_to_date_usd))
    limit.metric("Monthly budget", money(found.monthly_budget_usd))
    projected.metric("Forecast to month end", money(found.month_end_usd))
    if found.monthly_budget_usd:
        st.progress(min(float(found.month_to_date_usd / found.monthly_budget_usd), 1.0),
                    text=f"{float(found.month_to_date_usd / found.monthly_budget_usd * 100):.0f} "
                         "% of the monthly budget")
