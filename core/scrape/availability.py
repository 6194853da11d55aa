"""Product availability: schema.org ItemAvailability names from URLs, names or shop texts.

    >>> availability("http://schema.org/InStock"), availability("Auf Lager"), availability("Sold out")
    ('InStock', 'InStock', 'SoldOut')

The config package's ``availability`` transform and the analysis engine both read it.
"""

from __future__ import annotations

import re
from typing import Any

AVAILABILITY = ("InStock", "OutOfStock", "PreOrder", "BackOrder", "Discontinued", "InStoreOnly",
                "LimitedAvailability", "OnlineOnly", "PreSale", "SoldOut", "MadeToOrder",
                "Reserved")

# Checked in order: "not available" must win over "available", "nicht auf Lager" over "auf Lager".
_AVAILABILITY_TEXTS: tuple[tuple[str, str], ...] = (
    ("PreOrder", r"pre-?\s?order|vorbestell|pr[ée]-?commande|en pr[ée]commande|preventa|"
                 r"preordine|coming soon|demnächst"),
    ("BackOrder", r"back-?\s?order|nachbestell|auf bestellung"),
    ("SoldOut", r"sold\s?out|ausverkauft|[ée]puis[ée]|agotado|esaurito|uitverkocht|slutsåld"),
    ("Discontinued", r"discontinued|no longer (?:available|sold)|nicht mehr (?:erhältlich|lieferbar)"),
    ("OutOfStock", r"out\s?of\s?stock|not\s+(?:in\s+stock|available)|unavailable|"
                   r"nicht\s+(?:auf\s+lager|verfügbar|lieferbar|vorrätig)|"
                   r"rupture|indisponible|non disponible|no disponible|sin stock|"
                   r"niet (?:op voorraad|leverbaar)|currently not|temporarily|ikke på lager|"
                   r"brak w magazynie|niedostępny|no stock|zero stock|notify me"),
    ("LimitedAvailability", r"limited|only \d+ left|nur noch \d+|few left|low stock"),
    ("InStoreOnly", r"in[-\s]?store only|nur im (?:laden|markt)"),
    ("OnlineOnly", r"online only|nur online"),
    ("InStock", r"in\s?stock|available|auf lager|lieferbar|vorrätig|verfügbar|en stock|"
                r"disponible|disponibile|op voorraad|in magazzino|på lager|w magazynie|"
                r"dostępny|ready to ship|ships (?:today|in)|add to (?:cart|basket|bag)|versandfertig|"
                r"in den warenkorb"),
)
def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


_BY_KEY = {_key(name): name for name in AVAILABILITY}


def availability(value: Any) -> str | None:
    """A schema.org ItemAvailability name for a URL ("https://schema.org/InStock"), a name
    ("instock", "in_stock") or a shop's text ("In stock!", "Ausverkauft"); None if unknown."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    tail = re.split(r"[/#:]", text.rstrip("/"))[-1]
    if _key(tail) in _BY_KEY:
        return _BY_KEY[_key(tail)]
    lowered = " ".join(text.lower().split())
    for name, pattern in _AVAILABILITY_TEXTS:
        if re.search(pattern, lowered):
            return name
    return None
