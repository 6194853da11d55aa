"""The product a detail page is about: price, currency, SKU, brand, GTIN, MPN, availability…

Sources, most trusted first; each property is taken from the first source that has it:

1. JSON-LD ``Product`` (also inside ``@graph``, arrays, ``ProductGroup.hasVariant``; offers as a
   list or an ``AggregateOffer``; ``priceSpecification``), then microdata and RDFa, all read by
   ``core.analysis.structured`` into one entity shape.
2. Loose ``itemprop``/``property`` attributes (markup without a valid ``itemscope``).
3. OpenGraph and product ``<meta>`` tags (``product:price:amount``, ``og:price:currency``…).
4. The visible page: elements whose class or id says price/sku/brand/availability, labels such as
   "SKU:", "Art.-Nr.", "Item #", "EAN:", and availability texts ("In stock", "Ausverkauft").

    >>> facts = product_facts(html, "https://shop.example/lamp")
    >>> facts.values["price"], facts.sources["price"]
    (119.99, 'JSON-LD Product.offers.price')
"""

from __future__ import annotations

import html
import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from core.analysis.enums import availability
from core.analysis.structured import StructuredData, structured_data
from core.scrape.transforms import parse_number

PROPERTIES = ("name", "price", "currency", "sku", "brand", "gtin", "mpn", "availability", "image",
              "url", "description", "rating", "review_count")
PRODUCT_TYPES = {"Product", "ProductGroup", "IndividualProduct", "ProductModel", "SomeProducts",
                 "Vehicle", "Car", "Book", "Offer"}
_GTIN_KEYS = ("gtin13", "gtin", "gtin12", "gtin14", "gtin8", "ean", "isbn", "upc")
_CURRENCY_SYMBOLS = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR",
                     "₽": "RUB", "zł": "PLN", "kr": "SEK", "Kč": "CZK", "CHF": "CHF", "R$": "BRL",
                     "C$": "CAD", "CA$": "CAD", "A$": "AUD", "AU$": "AUD", "₩": "KRW", "₺": "TRY",
                     "Ft": "HUF", "lei": "RON", "тг": "KZT", "₸": "KZT", "руб": "RUB",
                     "грн": "UAH", "₴": "UAH", "kn": "HRK", "Kn": "HRK", "원": "KRW", "円": "JPY",
                     "元": "CNY", "₪": "ILS", "NZ$": "NZD", "HK$": "HKD"}


@dataclass
class ProductFacts:
    """The product properties found (canonical names, see ``PROPERTIES``) and where each came
    from ("JSON-LD Product.offers.price", "meta product:price:amount", "class .price")."""

    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    confidence: dict[str, float] = field(default_factory=dict)  # 0..1 per property
    structured_products: int = 0  # how many distinct products the structured data describes
    raw_symbol: str | None = None  # the currency symbol as the visible price wrote it

    def add(self, name: str, value: Any, source: str, confidence: float | None = None) -> None:
        if name in self.values or value in (None, "", []):
            return
        if name == "gtin" and not valid_gtin(str(value), checked=False):
            return  # a placeholder ("0000000000000") is no GTIN (shops' check digits vary)
        if name == "brand" and not plausible_brand(str(value)):
            return  # "$metabrand", "All Brands", "12/09(수)": the next source may say it
        self.values[name] = value
        self.sources[name] = source
        self.confidence[name] = confidence if confidence is not None else \
            source_confidence(source)


_BRAND_WORDS = re.compile(r"\b(?:brands?|marken?|marques?|marcas?|hersteller|manufacturers?|"
                          r"značka|бренды?)\b", re.IGNORECASE)


def plausible_brand(value: str) -> bool:
    """A brand is a name: it has letters, is no template placeholder left unfilled
    (``$metabrand``, ``{{ brand }}``), no date ("12/09(수)") and no filter or menu label that
    says "brand" itself ("All Brands", "Shop by brand")."""
    text = " ".join(value.split())
    if not re.search(r"[^\W\d_]", text):
        return False
    if re.search(r"^\$\w+$|\{\{.*\}\}|\$\{.*\}|%\w+%", text):
        return False
    if re.match(r"\d{1,4}[./-]\d{1,2}(?:[./-]\d{1,4})?\b", text):
        return False
    return not _BRAND_WORDS.search(text)


def valid_gtin(code: str, *, checked: bool = True) -> bool:
    """A GTIN of 8 to 14 digits, not all zeros (markup often drops a UPC's leading zero);
    ``checked``: with its check digit right, or a valid ISBN-10 (for codes read from text,
    where a label may sit beside some other number)."""
    if not code.isdigit() or not code.strip("0") or not 8 <= len(code) <= 14:
        return False
    if not checked:
        return True
    if len(code) == 10 and sum((10 - i) * int(d) for i, d in enumerate(code)) % 11 == 0:
        return True  # ISBN-10 (digits only; an "X" check digit is dropped earlier)
    digits = [int(d) for d in code]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits[:-1])))
    return (10 - total % 10) % 10 == digits[-1]


def source_confidence(source: str) -> float:
    """How far a value is trusted, by where it was read: the page's structured data most, a
    label next to the value next, a class name or a position least."""
    for prefix, confidence in (("structured data", 0.95), ("JSON-LD", 0.95), ("microdata", 0.9),
                               ("RDFa", 0.9), ("itemprop", 0.85), ("meta", 0.85),
                               ("data-price-amount", 0.8), ("label", 0.8), ("button", 0.7),
                               ("availability text", 0.65), ("class", 0.55), ("h1", 0.7),
                               ("link rel=canonical", 0.9), ("the page URL", 0.6)):
        if source.startswith(prefix):
            return confidence
    return 0.5


def product_facts(html: str, url: str, *, data: StructuredData | None = None,
                  tree: LexborHTMLParser | None = None) -> ProductFacts:
    """Everything the page says about its product; absent properties are missing from ``values``."""
    data = data if data is not None else structured_data(html, url)
    tree = tree if tree is not None else LexborHTMLParser(html)
    facts = ProductFacts()
    h1 = tree.css_first("h1")
    products = main_products(data, url, heading=h1.text(deep=True) if h1 is not None else None)
    facts.structured_products = len(products)
    if products:
        syntax = _syntaxes(data)
        _from_entity(facts, products[0], syntax.get(id(products[0]), "structured data"))
        # The same product told twice (JSON-LD and microdata, a ProductGroup and its Product):
        # the others fill what the first leaves out.
        name = _text(products[0].get("name"))
        for other in products[1:4]:
            if name and _text(other.get("name")) == name:
                _from_entity(facts, other, syntax.get(id(other), "structured data"))
        _in_stock_in_some_variant(facts, [p for p in products if p is products[0] or
                                          (name and _text(p.get("name")) == name)])
    _from_loose_attributes(facts, tree)
    _from_meta(facts, data.meta)
    _from_visible(facts, tree)
    _finish(facts, tree, url)
    _current_over_stale(facts, tree)
    _shown_over_hidden_code(facts, tree)
    if facts.structured_products or "price" in facts.values:
        _id_in_url(facts, tree, url)
    _resolve_currency(facts, tree, url, data.meta)
    _silent_availability(facts)
    return facts


# -- structured data ------------------------------------------------------------------------------

def _types(entity: dict) -> set[str]:
    value = entity.get("@type")
    values = value if isinstance(value, list) else [value]
    return {str(v).rsplit("/", 1)[-1] for v in values if v}


def main_products(data: StructuredData, url: str, heading: str | None = None) -> list[dict]:
    """The top-level product entities, the best candidate for the page's own product first.

    A product nested in another product (a variant, a related item) is not a main product; the
    candidates are ranked by having offers, matching the page URL or the page's ``<h1>``
    (``heading``: related products are marked up too), and how much they say.
    """
    title = " ".join((heading or "").split()).casefold()
    candidates: list[tuple[float, int, dict]] = []
    for index, entity in enumerate(_top_level(data.entities)):
        if not isinstance(entity, dict) or not (_types(entity) & (PRODUCT_TYPES - {"Offer"})):
            continue
        score = len([k for k in entity if not k.startswith("@")]) / 10
        if entity.get("offers") or entity.get("hasVariant"):
            score += 3
        if _same_page(entity.get("url") or entity.get("@id"), url):
            score += 2
        name = (_text(entity.get("name")) or "").casefold()
        if title and name and (name == title or (len(name) > 5 and name in title)):
            score += 2
        candidates.append((score, -index, entity))
    candidates.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [entity for _, _, entity in candidates]


def _top_level(entities: list[dict]) -> list[dict]:
    """The entities, plus products listed directly in a WebPage's ``mainEntity``."""
    found: list[dict] = []
    for entity in entities:
        if not isinstance(entity, dict):
            continue
        found.append(entity)
        main = entity.get("mainEntity") or entity.get("mainEntityOfPage")
        for item in main if isinstance(main, list) else [main]:
            if isinstance(item, dict) and _types(item) & PRODUCT_TYPES:
                found.append(item)
    return found


def _same_page(value: Any, url: str) -> bool:
    if not isinstance(value, str) or not url:
        return False
    strip = lambda u: u.split("#", 1)[0].split("?", 1)[0].rstrip("/")  # noqa: E731
    return strip(value) == strip(url)


def _first(value: Any) -> Any:
    while isinstance(value, list):
        value = value[0] if value else None
    return value


def _text(value: Any) -> str | None:
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value") or value.get("value")
        value = _first(value)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = " ".join(html.unescape(str(value)).split())  # JSON-LD often carries "&amp;"
    return text or None


def _offers(product: dict) -> list[dict]:
    """The product's offers, flattened (AggregateOffer's inner offers after itself), then its
    variants' offers for a ProductGroup that has none of its own."""
    raw = product.get("offers")
    offers: list[dict] = []
    for offer in raw if isinstance(raw, list) else [raw]:
        if isinstance(offer, dict):
            offers.append(offer)
            inner = offer.get("offers")
            offers.extend(o for o in (inner if isinstance(inner, list) else [inner])
                          if isinstance(o, dict))
    if not offers:
        for variant in _variants(product):
            offers.extend(_offers(variant))
    return offers


def _variants(product: dict) -> list[dict]:
    raw = product.get("hasVariant")
    return [v for v in (raw if isinstance(raw, list) else [raw]) if isinstance(v, dict)]


def _syntaxes(data: StructuredData) -> dict[int, str]:
    """Which markup each top-level entity came from: structured_data lists the JSON-LD
    entities first, then microdata, then RDFa."""
    from core.analysis.structured import _jsonld_entities

    jsonld = len(list(_jsonld_entities(data.raw.get("json-ld") or [])))
    microdata = len([i for i in data.raw.get("microdata") or [] if isinstance(i, dict)])
    found: dict[int, str] = {}
    for index, entity in enumerate(data.entities):
        syntax = "JSON-LD" if index < jsonld else (
            "microdata" if index < jsonld + microdata else "RDFa")
        found[id(entity)] = syntax
        main = entity.get("mainEntity") or entity.get("mainEntityOfPage") \
            if isinstance(entity, dict) else None
        for item in main if isinstance(main, list) else [main]:
            if isinstance(item, dict):
                found[id(item)] = syntax
    return found


def _from_entity(facts: ProductFacts, product: dict, syntax: str = "structured data") -> None:
    kind = "ProductGroup" if "ProductGroup" in _types(product) else "Product"
    where = f"{syntax} {kind}"
    facts.add("name", _text(product.get("name")), f"{where}.name")
    offers = _offers(product)
    priced = [o for o in offers if _offer_price(o) is not None]
    offer = priced[0] if priced else (offers[0] if offers else {})
    price, price_path = _offer_price(offer) or (None, "")
    facts.add("price", price, f"{where}.offers.{price_path}")
    currency = _text(offer.get("priceCurrency")) or _text(
        _first(offer.get("priceSpecification") or {}).get("priceCurrency")
        if isinstance(_first(offer.get("priceSpecification")), dict) else None)
    facts.add("currency", _iso_currency(currency), f"{where}.offers.priceCurrency")
    facts.add("availability", availability(_text(offer.get("availability"))),
              f"{where}.offers.availability")
    variants = _variants(product)
    for name, keys in (("sku", ("sku",)), ("mpn", ("mpn",)), ("gtin", _GTIN_KEYS)):
        for holder, label in ((product, kind), (offer, f"{kind}.offers"),
                              *((v, f"{kind}.hasVariant") for v in variants[:1])):
            for key in keys:
                value = _text(holder.get(key)) if isinstance(holder, dict) else None
                if name == "gtin" and value:
                    value = re.sub(r"\D", "", value) or None
                facts.add(name, value, f"{syntax} {label}.{key}")
    facts.add("brand", _text(product.get("brand")) or _text(product.get("manufacturer")),
              f"{where}.brand")
    image = _first(product.get("image"))
    facts.add("image", _text(image.get("url") if isinstance(image, dict) else image),
              f"{where}.image")
    facts.add("url", _text(product.get("url")), f"{where}.url")
    facts.add("description", _text(product.get("description")), f"{where}.description")
    rating = _first(product.get("aggregateRating"))
    if isinstance(rating, dict):
        facts.add("rating", _number(rating.get("ratingValue")),
                  f"{where}.aggregateRating.ratingValue")
        facts.add("review_count", _number(rating.get("reviewCount") or rating.get("ratingCount")),
                  f"{where}.aggregateRating.reviewCount")
    product_id = _text(product.get("productID"))
    if product_id:  # "sku:XA30202", "isbn:9780…": the scheme is not part of the code
        product_id = re.sub(r"^[A-Za-z]{2,6}:(?!//)", "", product_id)
    facts.add("sku", product_id, f"{where}.productID")


def _in_stock_in_some_variant(facts: ProductFacts, products: list[dict]) -> None:
    """A product sold in sizes or colours is available when one of them is: the structured
    data lists an offer per variant (several offers, ``hasVariant``, or the same product once
    per size), and the first one read may be a size that is sold out."""
    if facts.values.get("availability") in (None, "InStock"):
        return
    states = [availability(_text(offer.get("availability")))
              for product in products for offer in _offers(product) + [
                  o for variant in _variants(product) for o in _offers(variant)]]
    states = [state for state in states if state]
    if len(states) > 1 and "InStock" in states:
        facts.values["availability"] = "InStock"
        facts.sources["availability"] = (f"structured data: in stock in {states.count('InStock')} "
                                         f"of {len(states)} variant offers")
        facts.confidence["availability"] = 0.85


def _offer_price(offer: dict) -> tuple[float, str] | None:
    for key in ("price", "lowPrice", "highPrice"):
        amount = _number(offer.get(key))
        if amount:  # a price of 0 is a placeholder ("price on request", variants priced apart)
            return amount, key
    spec = offer.get("priceSpecification")
    for item in spec if isinstance(spec, list) else [spec]:
        if isinstance(item, dict) and not re.search(r"Strikethrough|ListPrice|MSRP|SRP",
                                                    str(item.get("priceType", ""))):
            amount = _number(item.get("price"))
            if amount:
                return amount, "priceSpecification.price"
    return None


def _number(value: Any) -> float | None:
    """A price or rating from JSON (19.99, "19.99", "19,99", "1.299,00", "$19.99")."""
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("@value") or value.get("value")
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):  # structured data writes a dot decimal
        return float(text)
    number = parse_number(text)
    return float(number) if number is not None else None


# -- loose attributes and meta tags ---------------------------------------------------------------

_LOOSE = {"price": "price", "pricecurrency": "currency", "sku": "sku", "mpn": "mpn",
          "availability": "availability", "brand": "brand", "gtin13": "gtin", "gtin": "gtin",
          "gtin12": "gtin", "gtin14": "gtin", "gtin8": "gtin", "productid": "sku",
          "ratingvalue": "rating"}


def _from_loose_attributes(facts: ProductFacts, tree: LexborHTMLParser) -> None:
    for node in tree.css("[itemprop], [property]"):
        attrs = node.attributes
        for raw in f"{attrs.get('itemprop') or ''} {attrs.get('property') or ''}".split():
            if raw.startswith(("og:", "product:", "twitter:", "fb:", "article:")):
                continue
            name = _LOOSE.get(re.split(r"[:/]", raw)[-1].lower())
            if name is None or name in facts.values:
                continue
            value = _node_value(node, name)
            facts.add(name, _convert(name, value), f"itemprop/property={raw}")


def _node_value(node: LexborNode, name: str) -> str | None:
    attrs = node.attributes
    for key in ("content", "href", "datetime", "value", "data-price", "data-value"):
        if attrs.get(key):
            return attrs[key]
    if name == "brand" and "itemscope" in attrs:
        inner = node.css_first("[itemprop=name]")
        if inner is not None:
            return inner.attributes.get("content") or inner.text()
    return node.text(deep=True)


def _convert(name: str, value: str | None) -> Any:
    if value is None:
        return None
    text = " ".join(value.split())
    if name in ("price", "rating"):
        return _number(text)
    if name == "availability":
        return availability(text)
    if name == "gtin":
        return re.sub(r"\D", "", text) or None
    if name == "currency":
        return text.upper() if re.fullmatch(r"[A-Za-z]{3}", text) else _iso_currency(text)
    return text or None


_META = (
    ("price", ("product:price:amount", "og:price:amount", "product:sale_price:amount",
               "product:price", "twitter:data1")),
    ("currency", ("product:price:currency", "og:price:currency",
                  "product:sale_price:currency")),
    ("availability", ("product:availability", "og:availability")),
    ("brand", ("product:brand", "og:brand")),
    ("sku", ("product:retailer_item_id", "product:sku")),
    ("gtin", ("product:gtin", "product:ean", "product:upc", "product:isbn")),
    ("mpn", ("product:mfr_part_no",)),
    ("name", ("og:title", "twitter:title")),
    ("image", ("og:image", "og:image:url", "twitter:image")),
    ("url", ("og:url",)),
    ("description", ("og:description", "description")),
)


def _from_meta(facts: ProductFacts, meta: dict[str, str]) -> None:
    for name, keys in _META:
        for key in keys:
            if key == "twitter:data1" and "price" not in meta.get("twitter:label1", "").lower():
                continue
            if meta.get(key):
                facts.add(name, _convert(name, meta[key]), f"meta {key}")


# -- the visible page -----------------------------------------------------------------------------

_NOT_THE_PRICE = re.compile(r"old|was|regular|strike|compare|original|before|rrp|uvp|msrp|save|"
                            r"saving|discount|per[-_]?unit|unit[-_]?price|base[-_]?price|"
                            r"grundpreis|label|range|filter|shipping|tax|list[-_]?price|"
                            r"crossed|previous|retail|coupon|instal|monthly|financ", re.IGNORECASE)
# An ancestor with one of these classes holds a price that is not the current one.
_OLD_PRICE = re.compile(r"old|was|regular|strike|compare|original|before|rrp|uvp|msrp|crossed|"
                        r"previous|list[-_]?price", re.IGNORECASE)
_LABELS: tuple[tuple[str, str], ...] = (
    ("sku", r"SKU|Art(?:ikel)?\.?[\s-]*Nr\.?|Artikelnummer|Art\.?-?Nr|Item\s*(?:#|No\.?|number|"
            r"code)|Product\s*(?:code|#|number|no\.?|ID)|Style\s*(?:#|No\.?)|Réf(?:érence)?\.?|"
            r"Ref(?:erence)?\.?|Bestellnummer|Item\s+ID|Catalog\s*#|Produktnummer|"
            r"Numero\s+(?:oggetto|articolo)|Codice(?:\s+articolo)?|Numéro\s+de\s+l'objet|"
            r"C[óo]digo(?:\s+(?:del\s+)?(?:producto|artículo|produto))?|C[óo]d\.|"
            r"Kod(?:\s+produktu)?|K[óo]d(?:\s+produktu|\s+tovaru)?|Katalógové\s+číslo|"
            r"Šifra(?:\s+proizvoda)?|Produkta\s+kods|Preces\s+kods|Tootekood|Prekės\s+kodas|"
            r"Артикул|Код(?:\s+товара)?|상품번호|品號|商品編號|商品番号|Ürün\s+kodu|Stock\s*code|"
            r"Varenummer|Varenr\.?|Artikelnr\.?|Tuotenumero|Cikkszám|"
            r"Article\s*(?:number|no\.?|#|code)|Anzeigen?(?:[-\s]?(?:nummer|nr\.?|ID))?|"
            r"Ad\s*(?:ID|number|no\.?)|Listing\s*(?:ID|#|number)|Annonce\s*(?:n°|nº|no\.?)|"
            r"Numer\s+og[łl]oszenia|Oglas\s*(?:br\.?|ID)"),
    ("mpn", r"MPN|Model(?:\s*(?:#|No\.?|number))?|Part\s*(?:#|No\.?|number)|Manufacturer\s+part"
            r"(?:\s+number)?|Herstellernummer|Hersteller-?Artikelnummer|Modellnummer|"
            r"Modello|Modèle|Modelo|Модель"),
    ("gtin", r"EAN(?:-13)?|GTIN(?:-?1[234])?|UPC|Barcode|ISBN(?:-1[03])?|Штрихкод|Čiarový\s+kód"),
    ("brand", r"Brand|Marke|Hersteller|Manufacturer|Marque|Marca|Značka|Marka|Бренд|"
              r"Производитель|Proizvođač|Zīmols|Kaubamärk|브랜드|品牌|ブランド"),
)
_CODE = r"([A-Za-z0-9][A-Za-z0-9._/\-]{1,40})"
# a label's value starts after a colon, "#", or a line/cell break: "Model Kit" is not a label
_AFTER_LABEL = r"(?![\w])(?:(?:[ \t]+[A-Za-z]{2,12})?\s*[:#：]\s*|[ \t]*\n\s*)"


def _classes(node: LexborNode) -> str:
    attrs = node.attributes
    return f"{attrs.get('class') or ''} {attrs.get('id') or ''}".lower()


def _from_visible(facts: ProductFacts, tree: LexborHTMLParser) -> None:
    body = tree.body
    if body is None:
        return
    if "price" not in facts.values:
        _visible_price(facts, tree)
    elif "currency" not in facts.values:
        _visible_price(facts, tree, currency_only=True)
    text = _visible_text(tree)
    for name, labels in _LABELS:
        if name in facts.values:
            continue
        pattern = (rf"(?:^|\n|\s)(?:{labels}){_AFTER_LABEL}" +
                   (r"([^\n|,;]{2,40})" if name == "brand" else _CODE))
        for match in re.finditer(pattern, text, re.IGNORECASE):
            value = match.group(1).strip()
            if name in ("sku", "mpn") and not re.search(r"\d", value):
                continue  # a code has digits; "Model: Classic" is a name
            break
        else:
            match = None
        if match:
            value = match.group(1).strip()
            if not value[:1].isalnum():
                continue  # "Marke/Modell": a heading, not a label with its value
            if name == "gtin":
                value = re.sub(r"\D", "", value)
                if len(value) not in (8, 12, 13, 14):
                    continue
            if name == "sku" and value in (facts.values.get("mpn"), facts.values.get("gtin")):
                continue  # "Product #: 925872" labels the MPN the markup already gave
            label = " ".join(match.group(0).split(":")[0].split()[:3])
            facts.add(name, value, f"label '{label}'")
    for name, word in (("sku", "sku"), ("brand", "brand"), ("mpn", "mpn")):
        if name not in facts.values:
            node = _first_node_with_class(tree, word)
            if node is not None:
                value = re.sub(rf"^\s*{word}\s*[:#]?\s*", "", node.text(deep=True).strip(),
                               flags=re.IGNORECASE)
                # a code or a name, not a sentence ("Choose your size" in a sku picker)
                if name != "brand" and not (re.search(r"\d", value) and
                                            re.fullmatch(r"[A-Za-z0-9][\w./\-]{1,40}", value)):
                    continue  # a code is one token with digits, not "5,95 EUR"
                if 0 < len(value) <= 60 and len(value.split()) <= (6 if name == "brand" else 3):
                    facts.add(name, " ".join(value.split()), f"class/id containing '{word}'")
    if "availability" not in facts.values:
        _visible_availability(facts, tree)


def _current_over_stale(facts: ProductFacts, tree: LexborHTMLParser) -> None:
    """Structured data that gives the former price: the page shows that amount only struck
    out, marked old, or as a starting price, and shows another price, clean, by its heading.
    The visible current price wins (markup is often left at the list price during a sale)."""
    if "price" not in facts.values or facts.sources["price"].startswith("visible"):
        return
    amount = facts.values["price"]
    candidates = price_candidates(tree)
    shown = [c for c in candidates if abs(c.amount - amount) < 0.005]
    if not shown or any(not c.why or c.why == "in a row of alike cards" for c in shown):
        return
    if not any(re.search(r"struck|another price|former", c.why) for c in shown):
        return
    best = next((c for c in candidates if abs(c.amount - amount) >= 0.005), None)
    if best is None or best.why or best.score < -8:
        return
    facts.values["price"] = best.amount
    facts.sources["price"] = (f"visible current price .{_css_word(best.node)} (the "
                              f"structured data's {amount:g} is shown only as a former price)")
    facts.confidence["price"] = 0.6


# Attribute values (class, id, data-*) that mark an element as the product's own code.
_CODE_MARK = re.compile(r"sku|product[-_ ]?ref(?:erence)?|\bref(?:erence)?[-_ ]?(?:no|num|code)|"
                        r"article[-_ ]?(?:no|nr|num|code)|item[-_ ]?(?:no|nr|num|code)|"
                        r"product[-_ ]?(?:code|num|no\b|nr)|style[-_ ]?(?:no|num)", re.IGNORECASE)


def _shown_codes(tree: LexborHTMLParser, text: str) -> list[tuple[str, str]]:
    """Codes the page shows as its product's SKU: after a label ("SKU:", "Ref.", "Anzeige:"),
    then in an element whose class, id or data attribute value says so
    (``data-qa-qualifier="product-reference"``, ``class="product-sku"``), its label word
    stripped ("SKU MKI6IKW1N4"). Footers, navigation, links and rows of alike cards (a size
    picker, related products) are left out."""
    found: list[tuple[str, str]] = []
    labels = dict(_LABELS)["sku"]
    for match in re.finditer(rf"(?:^|\n|\s)(?:{labels}){_AFTER_LABEL}{_CODE}", text,
                             re.IGNORECASE):
        value = match.group(1).strip()
        if re.search(r"\d", value):
            found.append((value, f"label '{' '.join(match.group(0).split(':')[0].split()[:3])}'"))
    for node in tree.css("body *"):
        if node.tag in ("script", "style", "input", "select", "option", "form", "template"):
            continue
        attrs = node.attributes
        marks = " ".join(value for key, value in attrs.items()  # values: "data-sku" holds one
                         if value and (key in ("class", "id") or key.startswith("data-")))
        mark = _CODE_MARK.search(marks)
        if mark is None or _in_link(node) or _repeated(node) or any(
                tag in ("footer", "nav", "aside") for tag in _ancestor_tags(node)):
            continue
        value = " ".join(node.text(deep=True).split())
        value = re.sub(rf"^(?:{labels}|sku)\s*[:#]?\s*", "", value, flags=re.IGNORECASE)
        if re.fullmatch(r"[A-Za-z0-9][\w./\-]{1,40}", value) and re.search(r"\d", value):
            found.append((value, f"element marked '{mark.group(0)}'"))
    return found


def _ancestor_tags(node: LexborNode, depth: int = 12) -> list[str]:
    tags: list[str] = []
    parent = node.parent
    while parent is not None and len(tags) < depth:
        tags.append(str(parent.tag))
        parent = parent.parent
    return tags


def _shown_over_hidden_code(facts: ProductFacts, tree: LexborHTMLParser) -> None:
    """Structured data's SKU that the page never shows (an internal variant or stock-keeping
    number: "84518927-040-35") gives way to the code the page shows its shoppers as the
    product's SKU or reference, by a label or an attribute ("Ref. 1002/710")."""
    sku = facts.values.get("sku")
    source = facts.sources.get("sku", "")
    if sku is None or not re.match(r"JSON-LD|microdata|RDFa|structured|meta|itemprop", source):
        return
    text = _visible_text(tree)
    if str(sku) in text:
        return
    shown = [(value, where) for value, where in _shown_codes(tree, text)
             if value not in (facts.values.get("gtin"), facts.values.get("mpn"))]
    if not shown or shown[0][0] == sku:
        return
    value, where = shown[0]
    facts.values["sku"] = value
    facts.sources["sku"] = f"{where} (shown; the structured SKU {sku} is not on the page)"
    facts.confidence["sku"] = 0.7


def _id_in_url(facts: ProductFacts, tree: LexborHTMLParser, url: str) -> None:
    """A long number closing the product URL's path ("…/zipped-cardigan-12185160.html",
    "/deal/4548094738"): shops put the item's number there. The canonical URL first."""
    canonical = tree.css_first("link[rel=canonical][href]")
    for address, where in ((canonical.attributes.get("href") if canonical is not None else None,
                            "canonical URL"), (url, "page URL")):
        if not address:
            continue
        path = re.sub(r"^[a-z]+://[^/]+", "", address).split("?", 1)[0].split("#", 1)[0]
        last = path.rstrip("/").rsplit("/", 1)[-1]
        last = re.sub(r"\.(?:html?|php|aspx?)$", "", last)
        found = re.search(r"(?:^|[-_])(\d{6,14})$", last)
        if found:
            facts.add("sku", found.group(1), f"number closing the {where}", 0.35)
            return


def _visible_text(tree: LexborHTMLParser) -> str:
    clone = LexborHTMLParser(tree.html or "")
    for node in clone.css("script, style, noscript, template"):
        node.decompose()
    body = clone.body
    return body.text(separator="\n") if body is not None else ""


_SITE_PARTS = re.compile(r"navbar|site|logo|header|footer|branding|menu|nav", re.IGNORECASE)


def _first_node_with_class(tree: LexborHTMLParser, word: str) -> LexborNode | None:
    for node in tree.css(f"[class*={word} i], [id*={word} i]"):
        if node.tag in ("body", "html", "script", "style", "form", "input", "select"):
            continue
        if _SITE_PARTS.search(_classes(node)):
            continue  # Bootstrap's "navbar-brand" is the shop's name, not the product's brand
        if len(node.text(deep=True).strip()) <= 80:
            return node
    return None


# Add-to-cart (and bid) controls in the languages shops write.
CART_WORDS = re.compile(
    r"add(?:ing)? to (?:cart|basket|bag|trolley)|buy (?:it )?now|in den (?:warenkorb|einkaufswagen)|"
    r"jetzt kaufen|ajouter au panier|añadir al carrito|agregar al carro|comprar|"
    r"aggiungi al carrello|in winkelwagen|lägg i varukorgen|legg i handlekurven|læg i kurv|"
    r"lisää ostoskoriin|dodaj do koszyka|do košíku|do košíka|vložiť do košíka|v košarico|"
    r"u košaricu|dodaj u košaricu|kosárba|в корзину|купить|у кошик|ostukorvi|lisa korvi|"
    r"pievienot grozam|į krepšelį|sepete ekle|أضف إلى|加入購物車|加入购物车|カートに入れる|"
    r"장바구니|구매하기|place bid|add to bag|adicionar ao carrinho|adicionar à cesta",
    re.IGNORECASE)
# Words near a price that make it not the price the product sells for now.
_OTHER_PRICE_TEXT = re.compile(
    r"/\s*(?:mo|month|mes|mois|monat|kg|g|l|ml|m|m²|st|pc|unit)\b|per (?:month|unit|kg|piece)|"
    r"monthly|mensual|x\s*\d+\s*(?:cuotas|rate|installments?)|\d+\s*x\s|cuotas|rates? da|"
    r"shipping|versand|delivery|livraison|envío|grundpreis|unit price", re.IGNORECASE)
_FORMER_TEXT = re.compile(r"\bwas\b|\bbefore\b|\bvorher\b|\bstatt\b|\brrp\b|\buvp\b|\bmsrp\b|"
                          r"starting (?:price|bid)|opening bid|estimate", re.IGNORECASE)
_ASIDE = re.compile(r"header|footer|mini-?cart|minibasket|cart-?(?:summary|total|popup|drop)|"
                    r"\bnav|menu|recommend|related|similar|upsell|cross-?sell|recent|"
                    r"also-?(?:bought|viewed)|carousel|swiper|teaser", re.IGNORECASE)
_PRICE_LIKE = re.compile(r"(?:[$€£¥₹₽₩₺₪]|\b[A-Z]{3}\b|\bkr\.?|zł|Kč|Ft|lei|тг|руб|грн|Kn|kn|"
                         r"원|元|円)\s?\d|\d[\d.,\s\u00a0]{0,20}\s?(?:[$€£¥₹₽₩₺₪]|\b[A-Z]{3}\b|"
                         r"\bkr\b|zł|Kč|Ft|lei|тг|руб|грн|Kn|kn|원|元|円|,-)")


# The same in a control's class, id, name or click handler ("add-to-cart", "buy('…')").
_CART_CODE = re.compile(r"add[-_]?to[-_]?(?:cart|basket|bag)|addtocart|buy[-_]?now|\bbuy\(|"
                        r"cart[-_]?add|add[-_]?cart", re.IGNORECASE)


def _is_cart_control(node: LexborNode) -> bool:
    attrs = node.attributes
    label = " ".join((node.text(deep=True) or attrs.get("value") or attrs.get("aria-label")
                      or attrs.get("title") or "").split())[:60]
    if label and CART_WORDS.search(label):
        return True
    code = " ".join(str(attrs.get(key) or "") for key in ("class", "id", "name", "onclick"))
    return bool(_CART_CODE.search(code))


def _anchors(tree: LexborHTMLParser) -> list[LexborNode]:
    """Where the page's own product sits: its main heading and its add-to-cart controls."""
    headings = [h for h in tree.css("h1") if h.text(deep=True).strip()
                and not _in_aside(h, header=False)
                and not _repeated(h) and not _in_link(h)]
    title_node = tree.css_first("title")
    meta = tree.css_first('meta[property="og:title"]')
    title = " ".join(((title_node.text() if title_node is not None else "") + " " + (
        meta.attributes.get("content") or "" if meta is not None else "")).split()).casefold()
    named = [h for h in headings if " ".join(h.text(deep=True).split()).casefold() in title]
    anchors = (named or headings)[:1]
    for node in tree.css("button, input[type=submit], input[type=button], a, [role=button]"):
        if _is_cart_control(node) and not _in_aside(node) and not _repeated(node):
            anchors.append(node)
            if len(anchors) >= 5:
                break
    return anchors


def _in_aside(node: LexborNode, depth: int = 10, *, header: bool = True) -> bool:
    """Inside the page's header (unless ``header`` is False: some shops put the product's
    heading in their ``<header>``), footer, navigation or a related-products block."""
    parent = node.parent
    for _ in range(depth):
        if parent is None:
            return False
        if parent.tag in ("footer", "nav", "aside") or (header and parent.tag == "header"):
            return True
        found = _ASIDE.search(_classes(parent))
        if found and (header or "header" not in found.group(0).lower()):
            return True
        parent = parent.parent
    return False


def _in_link(node: LexborNode, depth: int = 10) -> bool:
    parent = node.parent
    for _ in range(depth):
        if parent is None:
            return False
        if parent.tag == "a" and (parent.attributes.get("href") or "#")[:1] not in ("#", "j"):
            return True
        parent = parent.parent
    return False


def _lineage(start: LexborNode) -> list[int]:
    chain: list[int] = []
    node: LexborNode | None = start
    while node is not None:
        chain.append(node.mem_id)
        node = node.parent
    return chain[::-1]


def _distance(a: list[int], b: list[int]) -> int:
    common = 0
    for x, y in zip(a, b):
        if x != y:
            break
        common += 1
    return len(a) + len(b) - 2 * common


def _repeated(node: LexborNode, depth: int = 6) -> bool:
    """Inside one of several alike siblings that each show a price (a card in a row of
    related products; not a layout row of a grid)."""
    current = node.parent
    for _ in range(depth):
        if current is None or current.tag in ("body", "html"):
            return False
        parent = current.parent
        if parent is not None and current.attributes.get("class"):
            alike = [c for c in parent.iter() if c.tag == current.tag and
                     c.attributes.get("class") == current.attributes.get("class")]
            if len(alike) >= 3 and sum(
                    1 for c in alike if c.css_first("[class*=price i]") is not None or
                    _PRICE_LIKE.search(c.text(deep=True)[:2000])) >= 3:
                return True
        current = parent
    return False


@dataclass
class _Candidate:
    node: LexborNode
    amount: float
    currency: str | None
    symbol: str | None
    score: float
    order: int
    why: str


_LAST: list[Any] = [None, None]  # the last tree's candidates: several readers ask in a row


def price_candidates(tree: LexborHTMLParser) -> list[_Candidate]:
    """Visible prices, the most likely current price of the page's own product first (see
    ``_price_candidates``); remembered for the last page asked about."""
    if _LAST[0] is not tree:
        _LAST[0], _LAST[1] = tree, _price_candidates(tree)
    return _LAST[1]


def _price_candidates(tree: LexborHTMLParser) -> list[_Candidate]:
    """Visible prices, the most likely current price of the page's own product first.

    Each element whose class or id says price (or whose own text reads as an amount with a
    currency) is a candidate; it loses points for lying far from the page's main heading and
    add-to-cart control in the tree, for sitting in a link (a product card), a header, footer or
    "related products" block or a row of alike cards, for being struck out or marked old, and for
    words that make it another price (per month, per kg, shipping, "was").
    """
    from price_parser import Price

    anchors = [_lineage(a) for a in _anchors(tree)]
    seen: set[int] = set()
    found: list[_Candidate] = []
    order = 0
    query = "[class*=price i], [id*=price i], [class*=money i], [class*=amount i], " \
            "[class*=cost i], span, strong, b, div, p, td, dd, ins, em"
    for node in tree.css(query):
        order += 1
        if node.mem_id in seen or node.tag in ("body", "html", "script", "style", "form",
                                                "select", "option", "input", "head", "title"):
            continue
        classes = _classes(node)
        named = bool(re.search(r"price|money|amount|cost", classes))
        if not named:
            own = node.text(deep=False) or ""
            if not re.search(r"\d", own) or len(node.css("*")) > 4 or \
                    not _PRICE_LIKE.search(" ".join(node.text(deep=True).split())):
                continue
        text = " ".join(node.text(deep=True).split())
        if not text or len(text) > 60:
            continue
        if len(re.findall(r"\d(?:[\d.,'\s\u00a0]*\d)?", text)) > 1:
            continue  # two amounts (old and new, from and to): its parts are candidates
        if named and any(inner.mem_id != node.mem_id and inner.text(deep=True).strip() and
                         re.search(r"price|money|amount|cost", _classes(inner))
                         for inner in node.css("*")):
            continue  # a wrapper: its innermost price element is a candidate of its own
        price = Price.fromstring(text)
        if not price.amount or price.amount <= 0:
            continue
        if price.currency is None and not _PRICE_LIKE.search(text) and not re.fullmatch(r"[\d.,'\s\u00a0]+(?:,-)?|.*\d[.,]\d\d.*",
                                                       text):
            continue  # "29 bought", "3 items": a number, not an amount
        seen.add(node.mem_id)
        lineage = _lineage(node)
        score = -min((_distance(lineage, a) for a in anchors), default=0) / 2
        why = []
        if not named:
            score -= 2
        if _NOT_THE_PRICE.search(classes):
            score -= 6
            why.append("class says another price")
        if _struck_out(node):
            score -= 8
            why.append("struck out / old")
        context = " ".join((node.parent.text(deep=True) if node.parent else text).split())
        single = len(re.findall(r"\d(?:[\d.,'\s\u00a0]*\d)?", context)) <= 1
        near = text if not (len(context) <= 80 and single) else f"{text} {context}"
        if _OTHER_PRICE_TEXT.search(near):
            score -= 6
            why.append("per-unit, instalment or shipping price")
        elif _FORMER_TEXT.search(near):
            score -= 6
            why.append("former or starting price")
        parent, link, aside = node.parent, False, False
        for _ in range(10):
            if parent is None:
                break
            if parent.tag == "a" and (parent.attributes.get("href") or "#")[:1] not in ("#", "j"):
                link = True
            if parent.tag in ("header", "footer", "nav", "aside") or \
                    _ASIDE.search(_classes(parent)):
                aside = True
            parent = parent.parent
        if link:
            score -= 4
            why.append("inside a link")
        if aside:
            score -= 5
            why.append("in a header, footer or related block")
        if _repeated(node):
            score -= 3
            why.append("in a row of alike cards")
        symbol = price.currency or _symbol_in(text)
        currency = _iso_currency(symbol) if symbol else None
        found.append(_Candidate(node, float(price.amount), currency, symbol, score, order,
                                "; ".join(why)))
    found.sort(key=lambda c: (-c.score, c.order))
    return found


def _symbol_in(text: str) -> str | None:
    for symbol in sorted(_CURRENCY_SYMBOLS, key=len, reverse=True):
        if re.search(rf"(?<![A-Za-z]){re.escape(symbol)}(?![A-Za-z])", text):
            return symbol
    return None


def own_product_signals(tree: LexborHTMLParser, *, strict: bool = False) -> bool:
    """The page shows one product of its own: an add-to-cart control outside rows of alike
    cards, headers and related blocks, or a price element near the main heading that is in no
    card link or related block (``strict``: in no row of alike elements either, and with
    nothing else against it)."""
    anchors = _anchors(tree)
    if any(node.tag != "h1" for node in anchors):
        return True
    if not anchors:
        return False
    for candidate in price_candidates(tree)[:3]:
        if not re.search(r"price|money|amount|cost", _classes(candidate.node)):
            continue
        if strict and not candidate.why and candidate.score >= -5:
            return True
        if not strict and candidate.score >= -10 and \
                not re.search(r"link|header|struck", candidate.why):
            return True
    return False


def _visible_price(facts: ProductFacts, tree: LexborHTMLParser, *,
                   currency_only: bool = False) -> None:
    # Magento and others put the amount in a data attribute, the final price marked as such.
    for node in tree.css("[data-price-type=finalPrice][data-price-amount]"):
        amount = _number(node.attributes.get("data-price-amount"))
        if amount is not None and not currency_only:
            facts.add("price", amount, "data-price-amount (finalPrice)", 0.8)
            break
    # a price in a link, a header or a related-products block is another product's
    candidates = [c for c in price_candidates(tree)
                  if not re.search(r"inside a link|header, footer or related", c.why)]
    if not candidates:
        return
    best = candidates[0]
    where = f"class/id .{_css_word(best.node)} + price-parser" if re.search(
        r"price|money|amount|cost", _classes(best.node)) else \
        f"visible price {best.node.tag} by the main heading + price-parser"
    # confidence: how clearly the best candidate beats the next different amount
    rival = next((c for c in candidates[1:] if c.amount != best.amount), None)
    margin = best.score - rival.score if rival is not None else 4.0
    confidence = round(min(0.75, 0.45 + 0.075 * margin), 2)
    if not currency_only:
        facts.add("price", best.amount, where, confidence)
    symbol = best.symbol or next((c.symbol for c in candidates if c.symbol and
                                  c.amount == best.amount), None)
    if symbol and "currency" not in facts.values:
        facts.raw_symbol = symbol.strip()
        facts.add("currency", _iso_currency(symbol), f"{where} (symbol)", 0.6)


def _struck_out(node: LexborNode) -> bool:
    parent: LexborNode | None = node
    depth = 0
    while parent is not None and depth < 4:
        if parent.tag in ("del", "s", "strike"):
            return True
        if depth > 0 and _OLD_PRICE.search(_classes(parent)):
            return True
        parent, depth = parent.parent, depth + 1
    return False


def _css_word(node: LexborNode) -> str:
    classes = (node.attributes.get("class") or "").split()
    return next((c for c in classes if "price" in c.lower()),
                classes[0] if classes else str(node.tag))


def _iso_currency(symbol: str | None) -> str | None:
    if not symbol:
        return None
    symbol = symbol.strip()
    if re.fullmatch(r"[A-Za-z]{3}", symbol):
        return symbol.upper()
    return _CURRENCY_SYMBOLS.get(symbol, _CURRENCY_SYMBOLS.get(symbol.upper(), symbol))


def _visible_availability(facts: ProductFacts, tree: LexborHTMLParser) -> None:
    for node in tree.css("[class*=availab i], [id*=availab i], [class*=stock i], "
                         "[id*=stock i], [class*=inventory i], [data-availability]"):
        if node.tag in ("body", "html", "script", "style") or _in_aside(node) or \
                _repeated(node) or _in_link(node):
            continue
        text = " ".join(node.text(deep=True).split())
        state = availability(node.attributes.get("data-availability") or "") or (
            availability(text) if 0 < len(text) <= 80 else None)
        if state:
            facts.add("availability", state, f"class/id .{_classes(node).split()[0]}", 0.7)
            return
    for node in _anchors(tree):
        if node.tag == "h1":
            continue
        label = " ".join((node.text(deep=True) or node.attributes.get("value") or "").split())
        disabled = "disabled" in node.attributes or \
            node.attributes.get("aria-disabled") == "true"
        facts.add("availability", "OutOfStock" if disabled else "InStock",
                  f"button '{label[:30]}'" + (" (disabled)" if disabled else ""))
        return


_PRIORS_FILE = Path(__file__).with_name("product_priors.json")


@lru_cache(maxsize=4)
def _read_priors(path: str) -> dict[str, Any]:
    try:
        priors = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return priors if isinstance(priors, dict) else {}


def priors() -> dict[str, Any]:
    """Values derived from labelled product pages (``bench/products.py --derive`` writes
    core/analysis/product_priors.json); ``SCRAPEDECK_PRODUCT_PRIORS`` names another file (the
    bench's leave-one-site-out runs re-derive them without each site)."""
    return _read_priors(os.environ.get("SCRAPEDECK_PRODUCT_PRIORS") or str(_PRIORS_FILE))


def _silent_availability(facts: ProductFacts) -> None:
    """A priced product page that says nothing about stock: the derived default, if any."""
    state = priors().get("availability_when_silent")
    if "availability" not in facts.values and "price" in facts.values and state:
        facts.add("availability", state,
                  "default: a priced product page saying nothing about stock", 0.4)


# Symbols several currencies write the same way: the page's country decides.
_AMBIGUOUS = {"$": "USD", "kr": "SEK", "kr.": "DKK", "¥": "JPY", "元": "CNY", "R": "ZAR",
              "Kn": "HRK", "kn": "HRK", "₩": "KRW", "원": "KRW", "£": "GBP", "руб": "RUB",
              "₽": "RUB", "lei": "RON"}
_COUNTRY_CURRENCY = {
    "us": "USD", "ca": "CAD", "au": "AUD", "nz": "NZD", "mx": "MXN", "cl": "CLP", "ar": "ARS",
    "co": "COP", "uy": "UYU", "tw": "TWD", "hk": "HKD", "sg": "SGD", "br": "BRL", "se": "SEK",
    "no": "NOK", "dk": "DKK", "is": "ISK", "jp": "JPY", "cn": "CNY", "kr": "KRW", "gb": "GBP",
    "uk": "GBP", "ie": "EUR", "de": "EUR", "at": "EUR", "fr": "EUR", "es": "EUR", "it": "EUR",
    "nl": "EUR", "be": "EUR", "pt": "EUR", "fi": "EUR", "gr": "EUR", "sk": "EUR", "si": "EUR",
    "ee": "EUR", "lv": "EUR", "lt": "EUR", "lu": "EUR", "hr": "HRK", "pl": "PLN", "cz": "CZK",
    "hu": "HUF", "ro": "RON", "bg": "BGN", "ch": "CHF", "ru": "RUB", "ua": "UAH", "kz": "KZT",
    "by": "BYN", "tr": "TRY", "il": "ILS", "in": "INR", "za": "ZAR", "sa": "SAR", "ae": "AED",
    "eg": "EGP", "th": "THB", "my": "MYR", "id": "IDR", "ph": "PHP", "vn": "VND", "pe": "PEN",
}
# Which currencies a symbol can stand for (the country's currency is used only if among them).
_SYMBOL_OPTIONS = {
    "$": {"USD", "CAD", "AUD", "NZD", "MXN", "CLP", "ARS", "COP", "UYU", "TWD", "HKD", "SGD",
          "BRL"},
    "kr": {"SEK", "NOK", "DKK", "ISK"}, "kr.": {"SEK", "NOK", "DKK", "ISK"},
    "¥": {"JPY", "CNY"}, "元": {"CNY", "TWD", "HKD"}, "R": {"ZAR", "BRL"},
}


def _page_country(tree: LexborHTMLParser, url: str, meta: dict[str, str]) -> tuple[str, str]:
    """The page's country code and where it was read: ``<html lang="es-CL">``, og:locale,
    then the domain's country TLD."""
    html_node = tree.css_first("html")
    lang = (html_node.attributes.get("lang") or "") if html_node is not None else ""
    for value, where in ((lang, "html lang"), (meta.get("og:locale") or "", "og:locale")):
        parts = re.split(r"[-_]", value.strip())
        if len(parts) >= 2 and parts[-1].lower() in _COUNTRY_CURRENCY:
            return parts[-1].lower(), where
    host = re.sub(r"^[a-z]+://", "", url or "").split("/", 1)[0].split(":", 1)[0].lower()
    tld = host.rsplit(".", 1)[-1] if "." in host else ""
    if tld in _COUNTRY_CURRENCY:
        return tld, "domain"
    return "", ""


def _resolve_currency(facts: ProductFacts, tree: LexborHTMLParser, url: str,
                      meta: dict[str, str]) -> None:
    """A symbol read from the page ("$", "kr") made an ISO code by the page's own country;
    no symbol at all: the country's currency when the page is priced."""
    symbol = facts.values.get("currency")
    if isinstance(symbol, str) and re.fullmatch(r"[A-Z]{3}", symbol) and \
            not facts.sources.get("currency", "").endswith("(symbol)"):
        return
    country, where = _page_country(tree, url, meta)
    local = _COUNTRY_CURRENCY.get(country)
    raw = facts.raw_symbol
    if raw is not None and raw in _SYMBOL_OPTIONS:
        code = local if local in _SYMBOL_OPTIONS[raw] else _AMBIGUOUS.get(raw)
        source = f"symbol '{raw}' + {where}" if local in _SYMBOL_OPTIONS[raw] else \
            f"symbol '{raw}' (most common reading)"
        facts.values["currency"] = code
        facts.sources["currency"] = source
        facts.confidence["currency"] = 0.7 if local in _SYMBOL_OPTIONS[raw] else 0.4
    elif "currency" not in facts.values and "price" in facts.values and local:
        facts.add("currency", local, f"{where} of the page ({country})", 0.45)


def _finish(facts: ProductFacts, tree: LexborHTMLParser, url: str) -> None:
    if "name" not in facts.values:
        h1 = tree.css_first("h1")
        if h1 is not None:
            facts.add("name", " ".join(h1.text(deep=True).split()), "h1")
    canonical = tree.css_first("link[rel=canonical][href]")
    if canonical is not None:
        facts.add("url", canonical.attributes.get("href"), "link rel=canonical")
    facts.add("url", url or None, "the page URL")
