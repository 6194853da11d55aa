"""The PDF buttons of an export printed by a worker (SEO reports, advisor answers): "Prepare
PDF", "Preparing PDF…" while it prints, then "Download PDF"; a failure says why."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st
from sqlalchemy.orm import Session

from ui.messages import perform
from ui.text import plain
from ui.vocabulary import FILE_STATUS
from vocabularies import FileStatus


def pdf_buttons(status: FileStatus | None, error: str | None, polling: bool, key: str,
                pdf_file: Callable[[Session], tuple[Path, str, str]],
                request: Callable[[Session], Any]) -> None:
    """Inside a fragment that reruns every second while ``polling`` (the PDF was printing)."""
    if polling and status != FileStatus.PROCESSING:
        st.rerun()  # printed (or failed): redraw without the timer
    if status == FileStatus.PROCESSING:
        st.button("Preparing PDF…", disabled=True, icon=FILE_STATUS[FileStatus.PROCESSING].icon,
                  key=f"{key}_pdf_wait")
        return
    if status == FileStatus.COMPLETED:
        found = perform(pdf_file)
        if found is not None:
            path, name, mime = found
            st.download_button("Download PDF", data=path.read_bytes, file_name=name, mime=mime,
                               on_click="ignore", icon=":material/picture_as_pdf:",
                               key=f"{key}_download_pdf")
            return
    if status == FileStatus.FAILED:
        st.error(f"The PDF could not be made: {plain(error or 'no reason given')}",
                 icon=":material/error:")
    if st.button("Prepare PDF", icon=":material/picture_as_pdf:", key=f"{key}_pdf_request"):
        if perform(request):
            st.rerun()
