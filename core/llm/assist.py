"""The three things the objective builder asks a model, each answer checked strictly.

    fields, usage = propose_fields(client, "all products: name, price, rating", digest)
    spec, usage = repair_field(client, "price", "price", html_snippet, failed_spec)
    operations, usage = interpret_feedback(client, package, "price is wrong on page 2", digest)

Every call asks for a JSON object (``response_format: json_object``) and validates the answer
with a JSON Schema, then with the rules the rest of ScrapeDeck applies (a repaired field spec
must compile as a config package field). Garbage raises ``ModelAnswerInvalid`` saying what was
wrong, with ``usage`` set: the tokens were spent and belong in the ledger all the same.

No database and no retries on bad content here: callers decide whether to ask again, and record
the ``Usage`` in their own short transaction (``core.llm.usage.record_usage``).

Feedback operations (what ``interpret_feedback`` returns), in the shapes
``core.builder.builds.submit_feedback`` takes and the build worker applies::

    {"op": "rename",  "field": "cost",  "to": "price"}
    {"op": "retype",  "field": "price", "type": "price"}     (type: one of the builder's kinds)
    {"op": "drop",    "field": "sku"}
    {"op": "wrong",   "field": "price"}                      (look for it again)
    {"op": "example", "name": "brand",  "value": "Acme"}     (a new field from a value on a page)
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from jsonschema import Draft202012Validator

from core.platform import standard_json
from core.analysis.types import FieldKind
from core.platform.errors import ValidationError
from core.llm.client import ChatClient, Usage
from core.llm.errors import ModelAnswerInvalid
from core.scrape.package import package_to_dict, parse_package

MAX_DIGEST_CHARS = 12_000  # what a page digest or snippet may add to a prompt
MAX_FIELDS = 40
FIELD_NAME = r"^[a-z][a-z0-9_]{0,59}$"  # as core.builder.builds accepts
TRANSFORMS_HELP = ('strip, number, price (the amount), currency, date (ISO 8601), absolute_url, '
                   '{"regex": "..."} (first group), {"json": "a.b.0"}, {"join": ", "}')

_NAME = {"type": "string", "pattern": FIELD_NAME}


def proposal_schema(kinds: Sequence[str] = tuple(FieldKind)) -> dict[str, Any]:
    """The JSON Schema of ``propose_fields``' answer."""
    field = {"type": "object", "required": ["name", "type"], "additionalProperties": False,
             "properties": {"name": _NAME, "type": {"enum": list(kinds)},
                            "description": {"type": "string"}}}
    return {"type": "object", "required": ["fields"], "properties": {"fields": {
        "type": "array", "minItems": 1, "maxItems": MAX_FIELDS, "items": field}}}

FIELD_SPEC_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "selector": {"type": ["string", "null"]}, "selector_type": {"enum": ["css", "xpath"]},
        "take": {"enum": ["text", "html", "attr"]}, "attribute": {"type": "string"},
        "all": {"type": "boolean"}, "required": {"type": "boolean"},
        "transforms": {"type": "array", "items": {"type": ["string", "object"]}},
    },
}

REPAIR_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["spec"],
    "properties": {"spec": {**FIELD_SPEC_SCHEMA, "type": ["object", "null"]},
                   "reason": {"type": "string"}},
}


def _operation(op: str, **properties: Any) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "required": ["op", *properties],
            "properties": {"op": {"const": op}, **properties}}


def feedback_operation_schema(kinds: Sequence[str] = tuple(FieldKind)) -> dict[str, Any]:
    """The JSON Schema of one feedback operation; ``retype`` accepts ``kinds``."""
    return {"oneOf": [
        _operation("rename", field=_NAME, to=_NAME),
        _operation("retype", field=_NAME, type={"enum": list(kinds)}),
        _operation("drop", field=_NAME),
        _operation("wrong", field=_NAME),
        _operation("example", name=_NAME, value={"type": "string", "minLength": 1}),
    ]}


FEEDBACK_OPERATION_SCHEMA = feedback_operation_schema()


# -- the three calls ------------------------------------------------------------------------

def propose_fields(client: ChatClient, objective: str, page_digest: str, *,
                   kinds: Sequence[str] = tuple(FieldKind),
                   ) -> tuple[list[dict[str, str]], Usage]:
    """Fields for ``objective`` given what a sample page holds: ``[{"name", "type",
    "description"}]`` with snake_case names, types from ``kinds``, no duplicates."""
    system = (
        "You design the output of a web data extractor. From the user's objective and a digest "
        "of a sample page, list the fields each extracted record should have. Answer with one "
        'JSON object: {"fields": [{"name": "snake_case_name", "type": TYPE, "description": '
        f'"what it holds"}}]}} where TYPE is one of {", ".join(kinds)}. Include the '
        "fields the objective asks for, in its order, and only fields the page can fill. "
        f"At most {MAX_FIELDS} fields.")
    user = f"Objective: {objective.strip()}\n\nPage digest:\n{_clip(page_digest)}"
    answer, usage = _ask(client, system, user, proposal_schema(kinds),
                         "the list of fields asked for")
    fields = [{"name": f["name"], "type": f["type"], "description": f.get("description", "")}
              for f in answer["fields"]]
    names = [f["name"] for f in fields]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise _invalid("the list of fields asked for", usage,
                       [f"fields: {', '.join(duplicates)} listed more than once"])
    return fields, usage


def repair_field(client: ChatClient, field_name: str, expected_type: str, html_snippet: str,
                 failed_spec: dict[str, Any], *, container: str | None = None,
                 ) -> tuple[dict[str, Any] | None, Usage]:
    """A new config-package field spec for ``field_name`` that should find it in
    ``html_snippet`` (where ``failed_spec`` found nothing or the wrong thing), or None when the
    model says the snippet does not hold it. The spec is checked the way a package is
    (selectors compiled, transforms known; relative to ``container`` when given) and returned
    in the package's normal form. Whether it really finds the value on the samples is for the
    caller to check."""
    system = (
        "You repair one field of a web extraction config. A field spec is a JSON object: "
        '{"selector": CSS or XPath or null (the record element itself), "selector_type": '
        '"css" | "xpath", "take": "text" | "html" | "attr", "attribute": name (when take is '
        '"attr"), "all": true for every match, "transforms": [...]}. Transforms: '
        f"{TRANSFORMS_HELP}. Prefer stable selectors (classes, ids, itemprop, data attributes) "
        "over position chains. "
        + ("Selectors are relative to one record element. " if container else "")
        + 'Answer with one JSON object: {"spec": {...}, "reason": "why"}, or '
        '{"spec": null, "reason": "why"} when the HTML does not hold the field.')
    user = (f"Field: {field_name} (type {expected_type})\n"
            f"Spec that failed: {json.dumps(failed_spec, ensure_ascii=False)}\n"
            + (f"Record element: {container}\n" if container else "")
            + f"\nHTML:\n{_clip(html_snippet)}")
    answer, usage = _ask(client, system, user, REPAIR_SCHEMA, "a field spec")
    spec = answer["spec"]
    if spec is None:
        return None, usage
    try:
        package = parse_package({"version": 1, "container": container,
                                 "fields": {field_name: spec}})
    except ValidationError as exc:
        raise _invalid("a field spec that works", usage, exc.problems) from exc
    return package_to_dict(package)["fields"][field_name], usage


def interpret_feedback(client: ChatClient, package: dict[str, Any], feedback_text: str,
                       page_digest: str, *, kinds: Sequence[str] = tuple(FieldKind),
                       ) -> tuple[list[dict[str, Any]], Usage]:
    """Turn free-text feedback on the sample results into feedback operations (see the module
    docstring). ``rename``, ``retype``, ``drop`` and ``wrong`` must name one of the package's
    fields, ``example`` a new one; ``retype`` only to one of ``kinds`` (the builder passes the
    kinds it supports). An empty list means the model found nothing to change."""
    current = list((package.get("fields") or {}).keys())
    system = (
        "You turn a user's feedback on a web extractor's sample results into operations. "
        "The operations are JSON objects: "
        '{"op": "rename", "field": F, "to": NEW_NAME}, {"op": "retype", "field": F, "type": '
        'TYPE}, {"op": "drop", "field": F}, {"op": "wrong", "field": F} (its values are wrong: '
        'look for it elsewhere), {"op": "example", "name": NEW_NAME, "value": "a value the user '
        f'says is on the page"}} (add a field). TYPE is one of {", ".join(kinds)}; names are '
        'snake_case. Answer with one JSON object: {"operations": [...]}; an empty list when the '
        "feedback asks for nothing these operations can do.")
    user = (f"Current fields: {', '.join(current) or '(none)'}\n"
            f"Current config: {json.dumps(package, ensure_ascii=False)[:MAX_DIGEST_CHARS // 2]}\n"
            f"\nFeedback: {feedback_text.strip()}\n\nPage digest:\n{_clip(page_digest)}")
    schema = {"type": "object", "required": ["operations"],
              "properties": {"operations": {"type": "array", "maxItems": MAX_FIELDS,
                                            "items": feedback_operation_schema(kinds)}}}
    answer, usage = _ask(client, system, user, schema, "the feedback operations asked for")
    operations = answer["operations"]
    problems = _unknown_fields(operations, current)
    if problems:
        raise _invalid("operations on the package's fields", usage, problems)
    return operations, usage


# -- asking and checking --------------------------------------------------------------------

def _ask(client: ChatClient, system: str, user: str, schema: dict[str, Any],
         wanted: str) -> tuple[dict[str, Any], Usage]:
    completion = client.complete([{"role": "system", "content": system},
                                  {"role": "user", "content": user}])
    usage = completion.usage
    try:
        answer = standard_json.loads(_unfenced(completion.content))  # NaN, 1e999: not JSON
    except ValueError as exc:
        raise _invalid(wanted, usage, [f"not JSON: {_excerpt(completion.content)}"]) from exc
    errors = sorted(Draft202012Validator(schema).iter_errors(answer), key=lambda e: list(e.path))
    if errors:
        raise _invalid(wanted, usage, [_describe(error) for error in errors[:5]])
    return answer, usage


def _unfenced(content: str) -> str:
    """The JSON inside a ```json … ``` fence, which some models add even in JSON mode."""
    match = re.fullmatch(r"\s*```(?:json)?\s*(.*?)\s*```\s*", content, flags=re.DOTALL)
    return match.group(1) if match else content


def _describe(error: Any) -> str:
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.path).lstrip(".")
    if error.validator == "oneOf" and isinstance(error.instance, dict):  # feedback operations
        message = f"not a valid operation: {_excerpt(json.dumps(error.instance))}"
    else:
        message = error.message if len(error.message) <= 200 else error.message[:199] + "…"
    return f"{where or 'answer'}: {message}"


def _unknown_fields(operations: list[dict[str, Any]], current: list[str]) -> list[str]:
    problems = []
    for number, operation in enumerate(operations):
        if operation["op"] == "example" and operation["name"] in current:
            problems.append(f"operations[{number}]: example would add {operation['name']!r}, "
                            "which is a field already")
        if operation["op"] != "example" and operation["field"] not in current:
            problems.append(f"operations[{number}]: {operation['op']} names {operation['field']!r}"
                            f", which is not one of the fields ({', '.join(current) or 'none'})")
        if operation["op"] == "rename" and operation["to"] in current:
            problems.append(f"operations[{number}]: cannot rename to {operation['to']!r}: a field "
                            "has that name already")
    return problems


def _invalid(wanted: str, usage: Usage, problems: list[str]) -> ModelAnswerInvalid:
    details = "; ".join(problems)
    return ModelAnswerInvalid(
        f"The model's answer is not {wanted} ({details}). Try again, or go on without the "
        "model.", usage=usage)


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= 120 else text[:119] + "…")


def _clip(text: str) -> str:
    if len(text) <= MAX_DIGEST_CHARS:
        return text
    return text[:MAX_DIGEST_CHARS] + "\n[… cut: the page goes on]"


JUDGEMENT_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["met", "reason"], "additionalProperties": False,
    "properties": {"met": {"type": "boolean"}, "reason": {"type": "string", "maxLength": 500}},
}


def judge_criterion(client: ChatClient, criterion: str,
                    output_json: str) -> tuple[tuple[bool, str], Usage]:
    """Whether an agent's output meets one acceptance criterion written in plain words."""
    system = ("You check whether a JSON output meets an acceptance criterion. Answer only with "
              'JSON: {"met": true|false, "reason": "one sentence"}.')
    user = f"Criterion: {criterion}\n\nOutput (JSON, possibly clipped):\n{_clip(output_json)}"
    answer, usage = _ask(client, system, user, JUDGEMENT_SCHEMA, "a judgement")
    return (bool(answer["met"]), str(answer["reason"])), usage
