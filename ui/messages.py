"""Running a service call for the user: one transaction, and the outcome shown on the page.

A ``ScrapeDeckError`` rolls the whole transaction back (nothing half-written) and is shown as
its message; anything else is a bug and surfaces as one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st
from sqlalchemy.orm import Session

from core.errors import ScrapeDeckError
from ui.runtime import transaction

T = TypeVar("T")


def perform(action: Callable[[Session], T], success: str = "") -> T | None:
    """Run ``action(session)`` in its own transaction; on a user error show it, return None."""
    try:
        with transaction() as session:
            result = action(session)
    except ScrapeDeckError as exc:
        st.error(str(exc), icon=":material/error:")
        return None
    if success:
        st.success(success, icon=":material/check_circle:")
    return result


def succeeded(action: Callable[[Session], object], success: str = "") -> bool:
    """Like ``perform`` for actions that return nothing: True when the action went through."""
    def run_and_confirm(session: Session) -> bool:
        action(session)
        return True

    return perform(run_and_confirm, success) is True
