"""Agent schemas: every input and output schema is checked against the JSON Schema 2020-12
meta-schema, and may only refer inside itself (``$ref`` to ``#…``): a schema never makes
ScrapeDeck fetch anything."""

from __future__ import annotations

from typing import Any

from core.platform.errors import ValidationError
from core.platform.jsondoc import Violation, json_path, meta_validator, validate_instance

MAX_DEPTH = 40


def check_agent_schema(document: Any, what: str) -> dict[str, Any]:
    """``document`` if it is a JSON Schema object with local references only."""
    if not isinstance(document, dict):
        raise ValidationError(f"The {what} must be a JSON Schema object, e.g. "
                              "{\"type\": \"object\", \"properties\": {…}}.")
    _check_refs(document, what, 0)
    problems = [f"{json_path(e.absolute_path)}: {e.message}"
                for e in meta_validator().iter_errors(document)]
    if problems:
        raise ValidationError(f"The {what} is not a valid JSON Schema (2020-12):", problems[:20])
    return document


def _check_refs(node: Any, what: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ValidationError(f"The {what} is nested more than {MAX_DEPTH} levels deep.")
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("$ref", "$dynamicRef") and not (isinstance(value, str)
                                                      and value.startswith("#")):
                raise ValidationError(f"The {what} refers outside itself ({key}: {value!r}); "
                                      "only references inside the schema (\"#/…\") are allowed.")
            _check_refs(value, what, depth + 1)
    elif isinstance(node, list):
        for value in node:
            _check_refs(value, what, depth + 1)


def violations(schema: dict[str, Any], instance: Any) -> list[Violation]:
    return validate_instance(schema, instance)


def item_schema(schema: dict[str, Any] | None) -> tuple[str | None, dict[str, Any] | None]:
    """Where an output schema keeps its records, for item-level validation: ``(key, schema of
    one item)``; key None for a top-level array; ``(None, None)`` when it has no list of items."""
    if not schema:
        return None, None
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        return None, schema["items"]
    props = schema.get("properties")
    if isinstance(props, dict):
        arrays = {k: v for k, v in props.items()
                  if isinstance(v, dict) and v.get("type") == "array"
                  and isinstance(v.get("items"), dict)}
        key = "items" if "items" in arrays else (next(iter(arrays)) if len(arrays) == 1 else None)
        if key is not None:
            return key, arrays[key]["items"]
    return None, None


def fields_of(schema: dict[str, Any] | None) -> set[str]:
    """The record fields an output schema names (of its items, or of itself)."""
    _key, item = item_schema(schema)
    target = item or schema or {}
    props = target.get("properties")
    return set(props) if isinstance(props, dict) else set()
