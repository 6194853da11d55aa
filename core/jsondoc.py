"""JSON documents typed by people: parse with line/column errors, check JSON Schemas against the
2020-12 meta-schema, and validate instances with every violation's JSON path."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaViolation

from core.errors import ValidationError

MAX_DOCUMENT_CHARS = 1_000_000


def parse_json(text: str, what: str = "JSON") -> Any:
    """Parse ``text``; a syntax error names its line and column."""
    if len(text) > MAX_DOCUMENT_CHARS:
        raise ValidationError(f"{what} is larger than {MAX_DOCUMENT_CHARS:,} characters.")
    if not text.strip():
        raise ValidationError(f"{what} is empty.")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"{what} is not valid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}.") from exc


def json_path(path: Any) -> str:
    """``['items', 0, 'price']`` → ``$.items[0].price``."""
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


@dataclass(frozen=True)
class Violation:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def _violations(errors: list[SchemaViolation]) -> list[Violation]:
    ordered = sorted(errors, key=lambda e: (list(map(str, e.absolute_path)), e.message))
    return [Violation(json_path(e.absolute_path), e.message) for e in ordered]


META_VALIDATOR = Draft202012Validator(Draft202012Validator.META_SCHEMA)


def check_json_schema(document: Any) -> dict[str, Any]:
    """Raise ValidationError listing every place ``document`` breaks the 2020-12 meta-schema."""
    if not isinstance(document, dict):
        raise ValidationError("The schema must be a JSON object, e.g. {\"type\": \"object\", ...}.")
    problems = [str(v) for v in _violations(list(META_VALIDATOR.iter_errors(document)))]
    if document.get("type", "object") != "object":
        problems.append("$.type: extracted items are JSON objects, so the root type must be "
                        "\"object\"")
    if problems:
        raise ValidationError("The schema is not a valid JSON Schema (2020-12):", problems)
    return document


def effective_schema(document: dict[str, Any], allow_extra_fields: bool) -> dict[str, Any]:
    """The schema items are checked against: with extra fields disallowed, unknown top-level
    keys are violations unless the schema already says how to treat them."""
    if allow_extra_fields or "additionalProperties" in document:
        return document
    return {**document, "additionalProperties": False}


def instance_validator(schema: dict[str, Any]) -> Draft202012Validator:
    """A validator that also checks ``format`` (uri, email, date-time…): a schema that says
    ``"format": "uri"`` means it."""
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def validate_instance(schema: dict[str, Any], instance: Any) -> list[Violation]:
    return _violations(list(instance_validator(schema).iter_errors(instance)))
