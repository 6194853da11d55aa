"""Wanted fields ↔ a JSON Schema for one record.

    >>> schema_for([WantedField("price", "price")])["properties"]["price"]
    {'type': 'number', 'description': 'price'}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.analysis.enums import AVAILABILITY
from core.analysis.objective import canonical_field
from core.analysis.types import FieldKind, WantedField

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_PROPERTY: dict[str, dict[str, Any]] = {
    FieldKind.STRING: {"type": "string"}, FieldKind.NUMBER: {"type": "number"},
    FieldKind.INTEGER: {"type": "integer"}, FieldKind.BOOLEAN: {"type": "boolean"},
    FieldKind.URL: {"type": "string", "format": "uri"},
    FieldKind.IMAGE: {"type": "string", "format": "uri"}, FieldKind.DATE: {"type": "string"},
    FieldKind.PRICE: {"type": "number"}, FieldKind.CURRENCY: {"type": "string"},
    FieldKind.RATING: {"type": "number"},
    FieldKind.AVAILABILITY: {"type": "string", "enum": list(AVAILABILITY[:4])},
}


def schema_for(fields: Sequence[WantedField], *, required: Sequence[str] = ()) -> dict:
    """A JSON Schema (2020-12) for one record with these fields."""
    properties = {}
    for field in fields:
        prop = dict(_PROPERTY.get(field.type, {"type": "string"}))
        prop["description"] = field.description or field.name.replace("_", " ")
        properties[field.name] = prop
    return {"$schema": SCHEMA_DIALECT, "type": "object", "properties": properties,
            "required": [name for name in required if name in properties]}


def fields_from_schema(schema: dict) -> list[WantedField]:
    """The fields a schema's properties ask for, kinds read from names (synonyms: cost → price,
    priceCurrency → currency, gtin13 → gtin) and from the JSON types and formats."""
    properties = schema.get("properties") if isinstance(schema, dict) else None
    fields = []
    for name, prop in (properties or {}).items():
        prop = prop if isinstance(prop, dict) else {}
        guess = canonical_field(name)
        json_type = prop.get("type")
        json_type = next((t for t in json_type if t != "null"), None) \
            if isinstance(json_type, list) else json_type
        kind = guess.type
        if "enum" in prop and guess.type == "string":
            kind = "availability" if guess.name == "availability" else "string"
        elif guess.type == "string" and prop.get("format") == "uri":
            kind = "url"
        elif guess.type == "string" and json_type in ("number", "integer", "boolean"):
            kind = json_type
        fields.append(WantedField(name, kind, guess.name))  # description: the canonical name
    return fields
