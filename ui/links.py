"""Links between pages: ``?run=<id>`` and the like open a record on the page they lead to."""

from __future__ import annotations

import uuid
from collections.abc import Collection

import streamlit as st


def open_linked(param: str, key: str, choices: Collection[uuid.UUID] | None = None) -> None:
    """``?<param>=<id>`` in the URL: put that id in ``st.session_state[key]`` (the page's
    "open this record" state), once — the parameter is then removed, so the user's own choice
    afterwards is kept. With ``choices``, only an id among them (a select box refuses others)."""
    asked = st.query_params.get(param)
    if asked is None:
        return
    del st.query_params[param]
    try:
        record_id = uuid.UUID(asked)
    except ValueError:
        return
    if choices is None or record_id in choices:
        st.session_state[key] = record_id
