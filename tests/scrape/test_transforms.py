"""The price transforms' shortcut for the commonest shape ("$1,299.00") reads every text as
price-parser does: compared on thousands of generated prices and near misses."""

import random

import pytest
from price_parser import Price

from core.scrape.transforms import _read_price


def generated_prices(count: int, seed: int = 16) -> list[str]:
    rng = random.Random(seed)
    symbols = ["", "$", "£", "€", "¥", "US$", "R$", "R", "Rs ", "kr ", "CHF ", "EUR ", "\u00a3"]
    spaces = ["", " ", "  ", "\u00a0", "\t"]
    found = []
    for _ in range(count):
        whole = rng.choice([0, rng.randint(1, 999), rng.randint(1000, 10**9)])
        digits = f"{whole:,}" if rng.random() < 0.6 else str(whole)
        if rng.random() < 0.1:
            digits = "0" + digits  # a leading zero
        if rng.random() < 0.1:
            digits = digits.replace(",", ".")  # the other convention, or a typo
        cents = rng.choice(["", ".", ".5", ".50", ".99", ".999", ",99", ".00.00"])
        text = rng.choice(spaces) + rng.choice(symbols) + rng.choice(spaces[:2]) + digits + \
            cents + rng.choice(spaces[:3]) + rng.choice(["", "", "", " USD", "€", "-"])
        found.append(text)
    return found


@pytest.mark.parametrize("text", ["$1,299.00", "£51.77", "€0.99", "$ 10,000,000.00", " $5.00 ",
                                  "1,299.00", "$01.00", "$000.00", "$1,2999.00", "$1.299,00",
                                  "$1,299.001", "$-5.00", "US$1,299.00", "$1,299"])
def test_a_price_reads_as_price_parser_reads_it(text: str) -> None:
    price = Price.fromstring(text)
    assert _read_price.__wrapped__(text) == (price.amount_float, price.currency)


def test_thousands_of_generated_prices_read_as_price_parser_reads_them() -> None:
    texts = generated_prices(5000)
    taken_by_the_shortcut = [t for t in texts if t.strip(" ")[:1] in "$£€¥" and
                             t.strip(" ")[-3:-2] == "."]
    assert len(taken_by_the_shortcut) > 200  # the shortcut's shape is well represented

    differ = [(t, _read_price.__wrapped__(t), (p.amount_float, p.currency))
              for t in texts if _read_price.__wrapped__(t) != (
                  (p := Price.fromstring(t)).amount_float, p.currency)]
    assert differ == []
