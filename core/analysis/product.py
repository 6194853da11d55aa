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
import re
from dataclasses import dataclass, field
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
                     "Ft": "HUF", "lei": "RON", "₪": "ILS", "NZ$": "NZD", "HK$": "HKD"}


@dataclass
class ProductFacts:
    """The product properties found (canonical names, see ``PROPERTIES``) and where each came
    from ("JSON-LD Product.offers.price", "meta product:price:amount", "class .price")."""

    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    structured_products: int = 0  # how many distinct products the structured data describes

    def add(self, name: str, value: Any, source: str) -> None:
        if name in self.values or value in (None, "", []):
            return
        self.values[name] = value
        self.sources[name] = source


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
        _from_entity(facts, products[0])
        # The same product told twice (JSON-LD and microdata, a ProductGroup and its Product):
        # the others fill what the first leaves out.
        name = _text(products[0].get("name"))
        for other in products[1:4]:
            if name and _text(other.get("name")) == name:
                _from_entity(facts, other)
    _from_loose_attributes(facts, tree)
    _from_meta(facts, data.meta)
    _from_visible(facts, tree)
    _finish(facts, tree, url)
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


def _from_entity(facts: ProductFacts, product: dict) -> None:
    kind = "ProductGroup" if "ProductGroup" in _types(product) else "Product"
    where = f"structured data {kind}"
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
                facts.add(name, value, f"structured data {label}.{key}")
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
                            r"grundpreis|label|range|filter|slider|shipping|tax|list[-_]?price|"
                            r"crossed|previous|retail|old", re.IGNORECASE)
# An ancestor with one of these classes holds a price that is not the current one.
_OLD_PRICE = re.compile(r"old|was|regular|strike|compare|original|before|rrp|uvp|msrp|crossed|"
                        r"previous|list[-_]?price", re.IGNORECASE)
_LABELS: tuple[tuple[str, str], ...] = (
    ("sku", r"SKU|Art(?:ikel)?\.?[\s-]*Nr\.?|Artikelnummer|Art\.?-?Nr|Item\s*(?:#|No\.?|number|"
            r"code)|Product\s*(?:code|#|number|no\.?)|Style\s*(?:#|No\.?)|Réf(?:érence)?\.?|"
            r"Ref(?:erence)?\.?|Bestellnummer|Item\s+ID|Catalog\s*#|Produktnummer"),
    ("mpn", r"MPN|Model\s*(?:#|No\.?|number)|Part\s*(?:#|No\.?|number)|Manufacturer\s+part"
            r"(?:\s+number)?|Herstellernummer|Hersteller-?Artikelnummer|Modellnummer"),
    ("gtin", r"EAN(?:-13)?|GTIN(?:-?1[234])?|UPC|Barcode|ISBN(?:-1[03])?"),
    ("brand", r"Brand|Marke|Hersteller|Manufacturer|Marque|Marca"),
)
_CODE = r"([A-Za-z0-9][A-Za-z0-9._/\-]{1,40})"


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
        pattern = (rf"(?:^|\n|\s)(?:{labels})\s*[:#]?\s*" +
                   (r"([^\n|,;]{2,40})" if name == "brand" else _CODE))
        match = re.search(pattern, text, re.IGNORECASE if name != "sku" else re.IGNORECASE)
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
                if 0 < len(value) <= 60 and len(value.split()) <= (6 if name == "brand" else 3):
                    facts.add(name, " ".join(value.split()), f"class/id containing '{word}'")
    if "availability" not in facts.values:
        _visible_availability(facts, tree)


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


def _visible_price(facts: ProductFacts, tree: LexborHTMLParser, *,
                   currency_only: bool = False) -> None:
    from price_parser import Price

    # Magento and others put the amount in a data attribute, the final price marked as such.
    for node in tree.css("[data-price-type=finalPrice][data-price-amount]"):
        amount = _number(node.attributes.get("data-price-amount"))
        if amount is not None and not currency_only:
            facts.add("price", amount, "data-price-amount (finalPrice)")
            break
    for node in tree.css("[class*=price i], [id*=price i], [class*=money i]"):
        if node.tag in ("body", "html", "script", "style", "form", "select", "option", "input"):
            continue
        if _NOT_THE_PRICE.search(_classes(node)) or _struck_out(node):
            continue
        if any(inner.mem_id != node.mem_id
               for inner in node.css("del, s, strike, [class*=price i]")):
            continue  # a wrapper: its innermost price element comes next in document order
        text = " ".join(node.text(deep=True).split())
        if not text or len(text) > 60:
            continue
        price = Price.fromstring(text)
        if not price.amount or (price.currency is None and not re.search(r"\d[.,]\d\d", text)):
            continue
        where = f"class/id .{_css_word(node)}"
        if not currency_only:
            facts.add("price", price.amount_float, f"{where} + price-parser")
        if price.currency:
            facts.add("currency", _iso_currency(price.currency), f"{where} + price-parser")
        return


def _struck_out(node: LexborNode) -> bool:
    parent, depth = node, 0
    while parent is not None and depth < 4:
        if parent.tag in ("del", "s", "strike"):
            return True
        if depth > 0 and _OLD_PRICE.search(_classes(parent)):
            return True
        parent, depth = parent.parent, depth + 1
    return False


def _css_word(node: LexborNode) -> str:
    classes = (node.attributes.get("class") or "").split()
    return next((c for c in classes if "price" in c.lower()), classes[0] if classes else node.tag)


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
        if node.tag in ("body", "html", "script", "style"):
            continue
        text = " ".join(node.text(deep=True).split())
        state = availability(node.attributes.get("data-availability") or "") or (
            availability(text) if 0 < len(text) <= 80 else None)
        if state:
            facts.add("availability", state, f"class/id .{_classes(node).split()[0]}")
            return
    for node in tree.css("button, input[type=submit], a.button, a.btn"):
        label = " ".join((node.text(deep=True) or node.attributes.get("value") or "").split())
        if re.search(r"add to (?:cart|basket|bag)|in den warenkorb|ajouter au panier|"
                     r"añadir al carrito|aggiungi al carrello|buy now|kaufen", label, re.I):
            disabled = "disabled" in node.attributes
            facts.add("availability", "OutOfStock" if disabled else "InStock",
                      f"button '{label[:30]}'" + (" (disabled)" if disabled else ""))
            return


def _finish(facts: ProductFacts, tree: LexborHTMLParser, url: str) -> None:
    if "name" not in facts.values:
        h1 = tree.css_first("h1")
        if h1 is not None:
            facts.add("name", " ".join(h1.text(deep=True).split()), "h1")
    canonical = tree.css_first("link[rel=canonical][href]")
    if canonical is not None:
        facts.add("url", canonical.attributes.get("href"), "link rel=canonical")
    facts.add("url", url or None, "the page URL")
