"""Find a field from a value the user pasted ("I see 24.99 on the page")."""

from __future__ import annotations

from collections.abc import Sequence

from core.analysis.types import ExampleMatch, SamplePage


def find_field_for_example(pages: Sequence[SamplePage], example: str,
                           package: dict) -> ExampleMatch | None:
    """Find the element holding ``example`` on the first page where it appears (inside the
    package's container when there is one), build a stable selector for it (class, attribute or
    itemprop rather than nth-child chains), choose transforms from the value's type, and check it
    on the other samples. None when the value is on no sample."""
    raise NotImplementedError("interface published first; implementation follows")
