"""Extraction straight from the analysis, with a JSON Schema and no package (``extract`` CLI)."""

from __future__ import annotations


def extract_with_schema(html: str, url: str, schema: dict) -> dict | list[dict]:
    """One object for a detail page (or article), a list of objects for a list page; values
    follow the schema's property types and enums."""
    raise NotImplementedError("interface published first; implementation follows")
