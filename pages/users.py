"""Users (admins): list, create, suspend or reinstate, change role, reset password."""

import streamlit as st

from core.accounts import users
from ui.auth import acting_user
from ui.messages import form_key, perform, renew_form, rerun_with, show_flash, succeeded
from ui.runtime import transaction
from ui.text import plain
from ui.vocabulary import ROLE

actor = acting_user()
st.title("Users")
show_flash()

with st.expander(":material/person_add: New user"), st.form(form_key("users_new")):
    email = st.text_input("Email")
    name = st.text_input("Name")
    role = st.selectbox("Role", list(ROLE), index=1, format_func=lambda r: ROLE[r].label)
    password = st.text_input("Password", type="password", help="Leave empty to generate one.")
    if st.form_submit_button("Create user", type="primary"):
        secret = password or users.generate_password()
        created = perform(lambda s: users.create_user(s, actor, email, name or email, secret, role))
        if created:
            renew_form("users_new")
            rerun_with(f"Created {created.email}." + ("" if password else
                       f" Their password (shown once): `{secret}`"), users_manage=created.email)

with transaction() as session:
    table = users.list_users(session, actor)
shown = table.drop(columns="id").assign(suspension_reason=table.suspension_reason.fillna(""))
st.dataframe(shown, hide_index=True, width="stretch", column_config={
    "email": "Email", "name": "Name", "role": "Role", "status": "Status",
    "suspension_reason": "Suspension reason",
    "last_signed_in_at": st.column_config.DatetimeColumn("Last sign-in", format="YYYY-MM-DD HH:mm"),
    "created_at": st.column_config.DatetimeColumn("Created", format="YYYY-MM-DD HH:mm"),
})

emails = dict(zip(table.email, table.id))
others = [email for email in emails if email != actor.email]  # yourself last: rarely the target
chosen = st.selectbox("Manage user", others + [actor.email], key="users_manage")
user_id, row = emails[chosen], table[table.email == chosen].iloc[0]
role_col, status_col, password_col = st.columns(3)
with role_col:
    new_role = st.selectbox("Role", list(ROLE), key=f"users_role_{user_id}",
                            index=list(ROLE).index(row.role), format_func=lambda r: ROLE[r].label)
    if st.button("Change role", key="users_change_role"):
        if succeeded(lambda s: users.change_role(s, actor, user_id, new_role)):
            st.rerun()
with status_col:
    if row.status == "active":
        reason = st.text_input("Suspension reason", key=f"users_reason_{user_id}")
        if st.button("Suspend", key="users_suspend"):
            if succeeded(lambda s: users.suspend(s, actor, user_id, reason)):
                st.rerun()
    else:
        st.caption(f"Suspended: {plain(row.suspension_reason)}")
        if st.button("Reinstate", key="users_reinstate"):
            if succeeded(lambda s: users.reinstate(s, actor, user_id)):
                st.rerun()
with password_col:
    if st.button("Reset password", key="users_reset"):
        new_password = perform(lambda s: users.reset_password(s, actor, user_id))
        if new_password:
            st.success(f"New password for {plain(chosen)} (shown once):")
            st.code(new_password, language=None)
