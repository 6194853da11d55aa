"""Amounts of money as people read them. Ledger costs are often fractions of a cent (a request,
a kilobyte), so neither form ever shows a non-zero amount as a free $0.0000."""

from __future__ import annotations

from decimal import Decimal

SMALLEST_SHORT = Decimal("0.0001")


def usd_text(value: Decimal) -> str:
    """Four decimals, but an amount under a cent with its first significant digits:
    $0.000042, never $0.0000."""
    if value and abs(value) < Decimal("0.01"):
        return f"${value:,.{max(4, -value.adjusted() + 2)}f}"
    return f"${value:,.4f}"


def usd_short(value: Decimal) -> str:
    """At most four decimals, for narrow places (a metric, a graph node): an amount under a
    hundredth of a cent reads "< $0.0001"."""
    return "< $0.0001" if 0 < value < SMALLEST_SHORT else f"${value:,.4f}"
