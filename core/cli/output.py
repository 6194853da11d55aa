"""Printing for the command line: tables and JSON, and what a piece of work cost."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas loads only for the commands that print tables
    import pandas as pd
    from sqlalchemy.orm import Session

    from core.platform.access import Actor


def print_table(frame: pd.DataFrame) -> None:
    print("(none)" if frame.empty else frame.to_string(index=False))


def print_rows(rows: list[dict[str, Any]]) -> None:
    """Rows as ``print_table`` prints a table (pandas is loaded here, for this command only)."""
    import pandas as pd

    print_table(pd.DataFrame(rows))


def print_json(doc: Any) -> None:
    """``doc`` as JSON that strict parsers read: a missing value from a table (NaN) is null."""
    print(json.dumps(_no_nan(doc), indent=2, default=str, allow_nan=False))


def _no_nan(value: Any) -> Any:
    if isinstance(value, float) and value != value:  # NaN, as pandas fills an empty cell
        return None
    if isinstance(value, dict):
        return {key: _no_nan(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_no_nan(item) for item in value]
    return value


def work_cost(session: Session, actor: Actor, **which: Any) -> dict[str, Any]:
    """What one run (``run_id=``), build (``build_id=``) or crawl (``crawl_id=``) cost, for its
    JSON document: the total of the priced rows, how many rows have no price (unpriced, not
    free), and per kind the quantity and its cost (None: unpriced)."""
    from core import costs

    found = costs.work_cost(session, actor, **which)
    return {"total_usd": format(found.total_usd, "f"), "unpriced_rows": found.unpriced,
            "by_kind": [{"kind": line.kind, "quantity": format(line.quantity.normalize(), "f"),
                         "usd": None if line.unpriced and not line.cost_usd
                         else format(line.cost_usd, "f")} for line in found.lines]}
