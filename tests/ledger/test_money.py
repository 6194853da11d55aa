"""Amounts as text: a fraction of a cent is never shown as a free $0.0000."""

from decimal import Decimal

from core.ledger import usd_short, usd_text


def test_a_small_amount_keeps_its_first_significant_digits() -> None:
    assert usd_text(Decimal("0.0000222")) == "$0.0000222"
    assert usd_text(Decimal("0.0042")) == "$0.00420"
    assert usd_text(Decimal("0")) == "$0.0000"
    assert usd_text(Decimal("1234.5")) == "$1,234.5000"


def test_the_short_form_says_less_than_a_hundredth_of_a_cent() -> None:
    assert usd_short(Decimal("0.000012")) == "< $0.0001"
    assert usd_short(Decimal("0")) == "$0.0000"
    assert usd_short(Decimal("1.5")) == "$1.5000"
