"""Costs: what was spent and on what, the month's forecast, the budget and its alerts; the
price table (admins)."""

import streamlit as st

from core import costs
from ui import cost_views, plan_views, price_views
from ui.auth import acting_user
from ui.messages import perform, show_flash

actor = acting_user()
st.title("Costs")
show_flash()
st.caption("From the cost ledger, priced when each cost was recorded (UTC days).")

left, right = st.columns([3, 1])
period = left.segmented_control(
    "Period", [p.value for p in costs.Period], default=costs.Period.MONTH.value,
    format_func={"day": "Today", "week": "This week", "month": "This month",
                 "30d": "Last 30 days"}.get, key="costs_period") or costs.Period.MONTH.value
everyone = actor.is_admin and right.toggle("Everyone", key="costs_everyone")

report = perform(lambda session: costs.report(session, actor, period, everyone=everyone))
if report is not None:
    cost_views.totals(report)
    cost_views.chart(report)
    by_job, by_model = st.columns(2)
    with by_job:
        cost_views.table("By job", report.by_job)
    with by_model:
        cost_views.table("By model and provider", report.by_model)
    if everyone:
        cost_views.table("By user", report.by_user)
    cost_views.forecast(report)
    cost_views.waste(perform(lambda session: costs.waste(session, actor, period,
                                                         everyone=everyone)) or costs.NO_WASTE)

plan_views.standing(actor)
plan_views.admin(actor)

cost_views.budget_form(actor)
price_views.price_editor(actor)
cost_views.notifications(actor)
