"""From an objective and sample pages to a proposed JSON Schema and config package."""

from __future__ import annotations

from collections.abc import Sequence

from core.analysis.types import Proposal, SamplePage, WantedField


def propose(objective: str, pages: Sequence[SamplePage], *, start_from: dict | None = None,
            extra_fields: Sequence[WantedField] = ()) -> Proposal:
    """Classify the pages, find the record container on list pages, match each wanted field
    (from the objective, plus ``extra_fields``) and emit a schema and a package.

    ``start_from`` is a stored package (from the knowledge base): its fields that give values on
    these pages are kept as they are; the others are analysed again."""
    raise NotImplementedError("interface published first; implementation follows")
