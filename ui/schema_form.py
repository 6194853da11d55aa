"""The extractor-schema form, shared by "New schema" and "Edit"."""

from __future__ import annotations

import json

import streamlit as st

from core.scraping.schemas import SchemaDetail, SchemaInput
from ui.text import plain

STARTER = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "price": {"type": "number"},
        "url": {"type": "string", "format": "uri"},
    },
    "required": ["name"],
}


def schema_form(key: str, current: SchemaDetail | None = None,
                submit_label: str = "Create schema") -> SchemaInput | None:
    """Draw the form; return what was submitted, or None before submission."""
    with st.form(key):
        name = st.text_input("Name", value=current.name if current else "", max_chars=200,
                             key=f"{key}_name")
        description = st.text_area("Description", value=current.description if current else "",
                                   height=68, key=f"{key}_description")
        definition = st.text_area(
            "Schema definition (JSON Schema 2020-12)", height=300, key=f"{key}_definition",
            value=json.dumps(current.definition if current else STARTER, indent=2))
        strict, extra, public = st.columns(3)
        strict_validation = strict.checkbox(
            "Strict validation", value=current.strict_validation if current else True,
            help="Items that break the schema are rejected instead of stored with warnings.")
        allow_extra_fields = extra.checkbox(
            "Allow extra fields", value=current.allow_extra_fields if current else True,
            help="Keep fields the schema does not list.")
        is_public = public.checkbox(
            "Public", value=current.is_public if current else False,
            help="Everyone can read and use a public schema; only you and admins can change it.")
        if not st.form_submit_button(plain(submit_label), type="primary"):
            return None
    return SchemaInput(name=name, definition=definition, description=description,
                       strict_validation=strict_validation, allow_extra_fields=allow_extra_fields,
                       is_public=is_public)
