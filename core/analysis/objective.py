"""From the words of an objective to the fields it asks for.

"all products on these pages: name, price, rating, image, link" → name (string), price (price),
rating (rating), image (image), url (url). Names are normalised to snake_case and common synonyms
are folded onto one name (cost → price, photo → image, link → url, stars → rating).
"""

from __future__ import annotations

import re

from core.analysis.types import WantedField

# synonym → (canonical name, kind). Multi-word synonyms are matched before single words.
SYNONYMS: dict[str, tuple[str, str]] = {
    "name": ("name", "string"), "title": ("title", "string"), "product name": ("name", "string"),
    "headline": ("title", "string"), "product title": ("name", "string"),
    "price": ("price", "price"), "cost": ("price", "price"), "costs": ("price", "price"),
    "prices": ("price", "price"), "amount": ("price", "price"), "sale price": ("price", "price"),
    "currency": ("currency", "currency"), "price currency": ("currency", "currency"),
    "pricecurrency": ("currency", "currency"),
    "rating": ("rating", "rating"), "ratings": ("rating", "rating"), "stars": ("rating", "rating"),
    "score": ("rating", "rating"), "review score": ("rating", "rating"),
    "image": ("image", "image"), "images": ("image", "image"), "photo": ("image", "image"),
    "photos": ("image", "image"), "picture": ("image", "image"), "pictures": ("image", "image"),
    "thumbnail": ("image", "image"), "img": ("image", "image"),
    "link": ("url", "url"), "links": ("url", "url"), "url": ("url", "url"),
    "urls": ("url", "url"), "href": ("url", "url"), "product link": ("url", "url"),
    "sku": ("sku", "string"), "item number": ("sku", "string"), "article number": ("sku", "string"),
    "brand": ("brand", "string"), "manufacturer": ("brand", "string"),
    "gtin": ("gtin", "string"), "ean": ("gtin", "string"), "upc": ("gtin", "string"),
    "barcode": ("gtin", "string"), "mpn": ("mpn", "string"),
    "availability": ("availability", "availability"), "stock": ("availability", "availability"),
    "in stock": ("availability", "availability"),
    "description": ("description", "string"), "summary": ("description", "string"),
    "date": ("date", "date"), "published": ("date", "date"), "publication date": ("date", "date"),
    "date published": ("date", "date"), "published date": ("date", "date"),
    "publish date": ("date", "date"), "published at": ("date", "date"),
    "pub date": ("date", "date"),
    "author": ("author", "string"), "authors": ("author", "string"), "byline": ("author", "string"),
    "author name": ("author", "string"), "writer": ("author", "string"),
    "text": ("text", "string"), "body": ("text", "string"), "article body": ("text", "string"),
    "body text": ("text", "string"), "article text": ("text", "string"),
    "main content": ("text", "string"), "story": ("text", "string"),
    "content": ("text", "string"), "main text": ("text", "string"),
    "article title": ("title", "string"), "heading": ("title", "string"),
    "reviews": ("review_count", "integer"), "review count": ("review_count", "integer"),
    "number of reviews": ("review_count", "integer"), "number reviews": ("review_count", "integer"),
    "category": ("category", "string"), "tags": ("tags", "string"),
}

# Words that describe the task rather than a field ("all products on these pages: …").
_FILLER = frozenset(
    "a an and the all of on in these this those pages page each every for from with get "
    "extract scrape list listing lists their its product products item items article articles "
    "i want need please me give plus also as well field fields data info information "
    "including like such everything anything stuff details detail what you can find there "
    "is are".split()
)
_TYPE_HINTS = (  # a word in a free-form field name that says its kind
    ("price", "price"), ("cost", "price"), ("date", "date"), ("time", "date"),
    ("url", "url"), ("link", "url"), ("image", "image"), ("photo", "image"),
    ("count", "integer"), ("number", "integer"), ("rating", "rating"),
)


def snake_case(text: str) -> str:
    """"Product Name" → "product_name", "priceCurrency" → "price_currency"."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text.strip())
    return "_".join(re.findall(r"[a-z0-9]+", text.lower()))


def canonical_field(name: str) -> WantedField:
    """One name as written by a user ("Cost", "photo", "Shipping date") → a wanted field."""
    words = " ".join(snake_case(name).split("_"))
    if words in SYNONYMS:
        canonical, kind = SYNONYMS[words]
        return WantedField(canonical, kind, name.strip())
    field_name = snake_case(name) or "field"
    kind = next((k for hint, k in _TYPE_HINTS if hint in words), "string")
    return WantedField(field_name, kind, name.strip())


def wanted_fields(objective: str) -> list[WantedField]:
    """The fields an objective names, in its order, without duplicates.

    Fields are read from comma/"and"-separated lists (after a colon when there is one); a
    sentence without a list is scanned for known field words. Nothing found → an empty list (the
    caller then proposes what the pages offer).
    """
    text = objective.strip()
    if ":" in text:
        text = text.split(":", 1)[1]
    parts = [p for p in re.split(r",|;|\band\b|\bplus\b|&|\n|/", text, flags=re.IGNORECASE)]
    fields: list[WantedField] = []
    for part in parts:
        words = [w for w in re.findall(r"[A-Za-z0-9_]+", part) if w.lower() not in _FILLER]
        if not words:
            continue
        phrase = " ".join(_singular(w) for w in words)
        known = _scan(phrase)
        last = _singular(words[-1]).lower()
        if " ".join(snake_case(phrase).split("_")) in SYNONYMS or len(words) == 1 or \
                (len(words) <= 3 and last in SYNONYMS):  # "shipping date": a name of its own
            fields.append(canonical_field(phrase))
        elif known:  # "prices of all books", a sentence: the known field words in it
            fields.extend(known)
        elif len(words) <= 3:  # a name of the user's own: "shipping date", "warehouse code"
            fields.append(canonical_field(phrase))
    return _unique(fields)


def _singular(word: str) -> str:
    """"titles" → "title" when the singular is a field word; other words unchanged."""
    lowered = word.lower()
    for cut in ("ies", "es", "s"):
        if lowered.endswith(cut) and len(lowered) > len(cut) + 2:
            stem = lowered[: -len(cut)] + ("y" if cut == "ies" else "")
            if stem in SYNONYMS and lowered not in SYNONYMS:
                return stem
    return word


def _scan(sentence: str) -> list[WantedField]:
    lowered = " " + " ".join(snake_case(sentence).split("_")) + " "
    found: list[tuple[int, WantedField]] = []
    for synonym in sorted(SYNONYMS, key=len, reverse=True):
        position = lowered.find(f" {synonym} ")
        if position >= 0:
            canonical, kind = SYNONYMS[synonym]
            found.append((position, WantedField(canonical, kind, synonym)))
            lowered = lowered.replace(f" {synonym} ", " " + "#" * len(synonym) + " ")
    return [f for _, f in sorted(found, key=lambda pair: pair[0])]


def _unique(fields: list[WantedField]) -> list[WantedField]:
    seen: set[str] = set()
    unique = []
    for field in fields:
        if field.name not in seen:
            seen.add(field.name)
            unique.append(field)
    return unique
