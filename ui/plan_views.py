"""The plan and credits the Costs page shows (``core.credits``): a user's plan, this month's
usage and balance; for admins, plans, assignments, credit packages and grants. No rule here."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import credits
from core.accounts import users
from core.platform.access import Actor
from ui.messages import rerun_with, succeeded
from ui.runtime import transaction
from ui.text import plain


def standing(actor: Actor) -> None:
    """The actor's plan, this month's runs and credits, and balance."""
    with transaction() as session:
        found = credits.standing(session, actor)
    st.subheader("Plan and credits")
    plan = found.plan
    if plan is None:
        st.caption("You are on no plan: no plan limits apply (your budget still does). An admin "
                   "can assign one.")
    else:
        st.caption(plain(
            f"{plan.name}: {plan.monthly_execution_limit:,} runs a month, "
            f"{plan.max_concurrent_runs:,} at once, each up to "
            f"{plan.max_execution_duration_minutes:,} minutes; {plan.credits_included:,} credits "
            f"included a month (since {found.period_start:%Y-%m-%d})."))
    runs, used, balance, available = st.columns(4)
    runs.metric("Runs this month", f"{found.runs_started:,}" + (
        f" of {plan.monthly_execution_limit:,}" if plan else ""))
    used.metric("Credits used this month", f"{found.credits_used:,.2f}" + (
        f" of {plan.credits_included:,}" if plan else ""))
    balance.metric("Credit balance", f"{found.balance:,.2f}")
    available.metric("Available now", f"{found.available:,.2f}" if plan else "no limit")
    if plan is not None and found.available <= 0:
        st.error("Your credits are used up: new runs are refused. Ask an admin for more credits "
                 "or a bigger plan.", icon=":material/savings:")
    st.caption("Credits per run: 1 per request (retries included) + 4 per page rendered + 1 per "
               "1,000 model tokens. The plan's included credits are used first, then the "
               "balance.")
    if found.grants:
        with st.expander(f"Credit grants ({len(found.grants)})"):
            st.dataframe(pd.DataFrame([(g.at, float(g.credits), g.package or "", g.note)
                                       for g in found.grants],
                                      columns=["at", "credits", "package", "note"]),
                         hide_index=True, width="stretch")


def admin(actor: Actor) -> None:
    """Plans, who is on them, credit packages and grants (admins only)."""
    if not actor.is_admin:
        return
    with transaction() as session:
        plans, packages = credits.list_plans(session), credits.list_packages(session)
        people = users.list_users(session, actor)
    emails = dict(zip(people.email, people.id))
    with st.expander("Plans and credits (admin)"):
        if plans:
            st.dataframe(pd.DataFrame([(p.slug, p.name, p.monthly_execution_limit,
                                        p.max_concurrent_runs, p.max_execution_duration_minutes,
                                        p.credits_included, p.users) for p in plans],
                                      columns=["slug", "name", "runs a month", "at once",
                                               "longest run (min)", "credits included",
                                               "users"]), hide_index=True, width="stretch")
        with st.form("plans_save"):
            st.markdown("**Define a plan** (an existing slug is changed)")
            slug, name = st.columns(2)
            values = {"slug": slug.text_input("Slug", key="plans_slug"),
                      "name": name.text_input("Name", key="plans_name")}
            runs, at_once, minutes, included = st.columns(4)
            values |= {"executions": runs.text_input("Runs a month", key="plans_runs"),
                       "concurrent": at_once.text_input("Runs at once", key="plans_at_once"),
                       "max_minutes": minutes.text_input("Longest run (min)", "60",
                                                         key="plans_minutes"),
                       "credits": included.text_input("Credits included", "0",
                                                      key="plans_credits")}
            if st.form_submit_button("Save plan"):
                if succeeded(lambda s: credits.save_plan(s, actor, values.pop("slug"), **values)):
                    rerun_with("Plan saved.")
        with st.form("plans_assign"):
            st.markdown("**Assign a plan**")
            who, which = st.columns(2)
            email = who.selectbox("User", list(emails), key="plans_assign_user")
            slug_chosen = which.selectbox("Plan", ["(none)", *(p.slug for p in plans)],
                                          key="plans_assign_plan")
            if st.form_submit_button("Assign") and email:
                if succeeded(lambda s: credits.assign_plan(
                        s, actor, emails[email], None if slug_chosen == "(none)" else slug_chosen)):
                    rerun_with("Plan assigned.")
        with st.form("credits_grant"):
            st.markdown("**Grant credits** (no payment is taken)")
            who, package, amount = st.columns(3)
            email = who.selectbox("User", list(emails), key="credits_grant_user")
            chosen = package.selectbox("Package", ["(an amount)", *(p.name for p in packages)],
                                       key="credits_grant_package")
            given = amount.text_input("Credits (empty: the package's)", key="credits_grant_n")
            if st.form_submit_button("Grant") and email:
                if succeeded(lambda s: credits.grant(
                        s, actor, emails[email], given.strip() or None,
                        None if chosen == "(an amount)" else chosen)):
                    rerun_with("Credits granted.")
        with st.form("credits_package"):
            st.markdown("**Define a credit package**")
            name_col, amount_col = st.columns(2)
            name_given = name_col.text_input("Package name", key="credits_package_name")
            amount_given = amount_col.text_input("Credits", key="credits_package_n")
            if st.form_submit_button("Save package"):
                if succeeded(lambda s: credits.save_package(s, actor, name_given,
                                                            amount_given)):
                    rerun_with("Package saved.")
