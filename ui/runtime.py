"""Process-wide handles (the only things kept in ``st.cache_resource``) and the unit of work."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy.orm import Session

from core.platform.database import Database
from core.platform.processes import spawn_worker
from core.platform.settings import get_settings
from core.accounts.setup import announce, initialise


@st.cache_resource(show_spinner="Preparing the database…")
def _database(url: str) -> Database:
    database, admin = initialise(url)
    message = announce(admin)
    if message:
        print(message, flush=True)  # once, in the terminal that started the app
    return database


@st.cache_resource(show_spinner=False)
def _background_worker(url: str) -> int | None:
    """One ``serve`` worker per app process (local executor): schedules fire and stray queued
    runs execute without anyone starting a worker by hand. It exits when the app does."""
    settings = get_settings()
    if settings.executor != "local" or not settings.app_starts_worker:
        return None
    return spawn_worker(["serve", "--parent", str(os.getpid())])


def database() -> Database:
    url = get_settings().resolved_database_url
    handle = _database(url)
    _background_worker(url)
    return handle


@contextmanager
def transaction() -> Iterator[Session]:
    with database().transaction() as session:
        yield session
