"""Printing for the command line: tables and JSON."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd


def print_table(frame: pd.DataFrame) -> None:
    print("(none)" if frame.empty else frame.to_string(index=False))


def print_json(doc: Any) -> None:
    print(json.dumps(doc, indent=2, default=str))
