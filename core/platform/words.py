"""Counts in words a user reads: "1 entry", "2 entries", "1,204 pages"."""

from __future__ import annotations


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """``number`` with ``noun``, singular for exactly one (``plural``: when adding "s" is not
    how the noun's plural is written)."""
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"
