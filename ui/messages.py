"""Running a service call for the user: one transaction, and the outcome shown on the page.

A ``ScrapeDeckError`` rolls the whole transaction back (nothing half-written) and is shown as
its message; anything else is a bug and surfaces as one. Messages are shown as plain text: they
quote what users and sites wrote (names, URLs, headers), which must never render as Markdown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st
from sqlalchemy.orm import Session

from core.platform.errors import ScrapeDeckError
from ui.runtime import transaction
from ui.text import plain

T = TypeVar("T")


def perform(action: Callable[[Session], T], success: str = "") -> T | None:
    """Run ``action(session)`` in its own transaction; on a user error show it, return None."""
    try:
        with transaction() as session:
            result = action(session)
    except ScrapeDeckError as exc:
        st.error(plain(str(exc)), icon=":material/error:")
        return None
    if success:
        st.success(plain(success), icon=":material/check_circle:")
    return result


def succeeded(action: Callable[[Session], object], success: str = "") -> bool:
    """Like ``perform`` for actions that return nothing: True when the action went through."""
    def run_and_confirm(session: Session) -> bool:
        action(session)
        return True

    return perform(run_and_confirm, success) is True


def flash(message: str) -> None:
    """Keep a success message for the next run (an ``st.rerun()`` would wipe it otherwise)."""
    st.session_state["flash_message"] = message


def show_flash() -> None:
    """Call at the top of a page, before its widgets: shows the kept message and applies the
    UI state ``rerun_with`` asked for (a widget's state can only be set before it is drawn)."""
    st.session_state.update(st.session_state.pop("flash_state", {}))
    message = st.session_state.pop("flash_message", None)
    slot = st.container()  # always drawn, so the widgets below keep their place (and state)
    if message:
        slot.success(plain(message), icon=":material/check_circle:")


def form_key(prefix: str) -> str:
    """A form's key that changes after each successful submit, so the next form starts empty
    (unlike ``clear_on_submit``, a refused submit keeps what the user typed)."""
    return f"{prefix}_{st.session_state.get(f'{prefix}_generation', 0)}"


def renew_form(prefix: str) -> None:
    st.session_state[f"{prefix}_generation"] = st.session_state.get(f"{prefix}_generation", 0) + 1


def rerun_with(message: str, **state: object) -> None:
    """After a change: set UI state (e.g. which record is open), keep ``message`` for the next
    run, and rerun so everything on the page reflects the change."""
    st.session_state["flash_state"] = state
    flash(message)
    st.rerun()
