"""Sign-in and sign-out. Passwords are checked by ``core.accounts.auth`` against the users table (every
attempt recorded, lockouts enforced); streamlit-authenticator keeps the signed JWT cookie that
signs a returning browser back in. The database stays the source of truth: a suspended or
deleted user's cookie signs nobody in."""

from __future__ import annotations

import streamlit as st
import streamlit_authenticator as stauth

from core.accounts import auth, users
from core.platform.access import Actor
from core.platform.errors import AuthError
from core.platform.settings import get_settings
from core.accounts.setup import cookie_signing_key
from ui.runtime import transaction
from ui.text import plain

def _authenticator() -> stauth.Authenticate:
    settings = get_settings()
    return stauth.Authenticate(
        {"usernames": {}}, settings.auth_cookie_name, cookie_signing_key(),
        settings.auth_cookie_expiry_days, auto_hash=False,
        login_sleep_time=settings.login_sleep_seconds)


def _remember(actor: Actor) -> None:
    st.session_state.update(authentication_status=True, username=actor.email, name=actor.name,
                            email=actor.email, roles=[actor.role], logout=False)


def _client() -> tuple[str, str]:
    """The browser's IP address and User-Agent, when Streamlit knows them."""
    ip, agent = st.context.ip_address, st.context.headers.get("User-Agent")
    return (ip if isinstance(ip, str) else "", agent if isinstance(agent, str) else "")


def _submit_sign_in() -> None:
    """Form callback: runs before the script, so the next run already shows the app."""
    email = st.session_state.get("signin_email", "")
    password = st.session_state.get("signin_password", "")
    error = None
    with transaction() as session:  # commits the attempt row even when sign-in is refused
        try:
            actor = auth.sign_in(session, email, password, *_client())
        except AuthError as exc:
            error, actor = str(exc), None
    st.session_state["signin_error"] = error
    if error:
        st.session_state["signin_password"] = ""  # a refused password is not kept in the field
    if actor is not None:
        _remember(actor)
        st.session_state["signin_set_cookie"] = True


def _request_sign_out() -> None:
    st.session_state["signin_sign_out"] = True


def current_actor() -> Actor | None:
    """The signed-in user (session, then cookie), re-read from the database on every run."""
    authenticator = _authenticator()
    if st.session_state.pop("signin_sign_out", False):
        authenticator.logout(location="unrendered")
        st.session_state["app_actor"] = None
        return None
    if st.session_state.pop("signin_set_cookie", False):
        authenticator.cookie_controller.set_cookie()
    email = st.session_state.get("username") if st.session_state.get("authentication_status") \
        else (authenticator.cookie_controller.get_cookie() or {}).get("username")
    if not email:
        return None
    with transaction() as session:
        actor = users.get_active_actor(session, email)
    st.session_state["app_actor"] = actor
    if actor is None:
        authenticator.logout(location="unrendered")
        st.session_state["signin_error"] = "Your account is no longer active. Contact an admin."
        return None
    _remember(actor)
    return actor


def acting_user() -> Actor:
    """For pages: the actor app.py resolved for this run (pages never re-check the cookie)."""
    if "app_actor" not in st.session_state:
        # Run directly, not through app.py: Streamlit serves files in pages/ by themselves until
        # some session has run the shell (a link into a just-started server). Go through it.
        st.switch_page("app.py")
    actor = st.session_state.get("app_actor")
    if actor is None:
        st.stop()
    return actor


def sign_in_form() -> None:
    st.title("ScrapeDeck")
    st.caption("Turn web pages into structured data. Sign in to continue.")
    with st.form("signin_form"):
        st.text_input("Email", key="signin_email", autocomplete="username")
        st.text_input("Password", type="password", key="signin_password",
                      autocomplete="current-password")
        st.form_submit_button("Sign in", type="primary", on_click=_submit_sign_in)
    if st.session_state.get("signin_error"):
        st.error(plain(st.session_state["signin_error"]), icon=":material/lock:")


def sidebar_account(actor: Actor) -> None:
    with st.sidebar:
        st.caption(f"Signed in as **{plain(actor.name)}** · {plain(actor.role)}")
        st.text(actor.email)  # plain text: markdown would turn it into a mailto link
        st.button("Sign out", key="signin_sign_out_button", on_click=_request_sign_out)
