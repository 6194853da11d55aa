"""Process-wide handles (the only things kept in ``st.cache_resource``) and the unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy.orm import Session

from core.database import Database
from core.settings import get_settings
from core.setup import announce, initialise


@st.cache_resource(show_spinner="Preparing the database…")
def _database(url: str) -> Database:
    database, admin = initialise(url)
    message = announce(admin)
    if message:
        print(message, flush=True)  # once, in the terminal that started the app
    return database


def database() -> Database:
    return _database(get_settings().resolved_database_url)


@contextmanager
def transaction() -> Iterator[Session]:
    with database().transaction() as session:
        yield session
