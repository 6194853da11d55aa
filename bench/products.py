"""Product detail pages through the ``extract`` CLI: per-field precision, recall and F1.

    .venv/bin/python bench/products.py                    # the labelled set in bench/products/
    .venv/bin/python bench/products.py DIR -v             # another set; -v lists every miss

A set is a directory of ``NAME.json`` files, each the expected answer for one page:
``{"price": 119.99, "currency": "USD", "sku": null, …}``. The page is ``NAME.html`` or
``NAME.html.gz`` beside it, or the file a ``"_page"`` key names (relative to the JSON file; the
bench/products/ set points into ../shared/corpora this way instead of copying pages). An optional
``"_url"`` is passed as ``--url``. Keys starting with "_" are not scored.

Each page runs ``python -m core extract PAGE --schema SCHEMA`` as a subprocess (what the CEO's
held-out set measures), with a product schema whose availability is an enum. Scoring, per field
over all pages: a predicted value equal to the expected one is a true positive; a predicted value
where none is expected, or a different one, a false positive; an expected value not predicted (or
predicted wrong) a false negative. Equality: prices within 0.01; GTINs as digits without leading
zeros; other strings case- and whitespace-insensitively.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIELDS = ("price", "currency", "sku", "brand", "gtin", "mpn", "availability", "name")
# The best commercial extractors' published F1 on product pages (issue 4, point 9).
PUBLISHED = {"price": 0.92, "sku": 0.84, "availability": 0.96}
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
    "properties": {
        "name": {"type": "string"}, "price": {"type": "number"}, "currency": {"type": "string"},
        "sku": {"type": "string"}, "brand": {"type": "string"}, "gtin": {"type": "string"},
        "mpn": {"type": "string"},
        "availability": {"type": "string", "enum": ["InStock", "OutOfStock", "PreOrder",
                                                    "BackOrder", "Discontinued", "SoldOut"]},
    },
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", nargs="?", default=str(ROOT / "bench" / "products"))
    parser.add_argument("-v", "--verbose", action="store_true", help="print every miss")
    args = parser.parse_args()
    cases = sorted(Path(args.directory).glob("*.json"))
    if not cases:
        sys.exit(f"no NAME.json files in {args.directory}")
    counts = {field: [0, 0, 0] for field in FIELDS}  # tp, fp, fn
    elapsed: list[float] = []
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        schema = Path(tmp) / "product.schema.json"
        schema.write_text(json.dumps(SCHEMA))
        for case in cases:
            expected = json.loads(case.read_text())
            page = _page_of(case, expected)
            command = [sys.executable, "-m", "core", "extract", str(page), "--schema", str(schema)]
            if expected.get("_url"):
                command += ["--url", expected["_url"]]
            started = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT,
                                  env={**os.environ}, timeout=300)
            elapsed.append(time.perf_counter() - started)
            if done.returncode != 0:
                failures += 1
                print(f"{case.stem}: exit {done.returncode}: {done.stderr.strip()}")
                got: dict = {}
            else:
                got = json.loads(done.stdout)
                got = got if isinstance(got, dict) else {}  # a list: the page was taken as a list
            for field in FIELDS:
                outcome = _score(field, expected.get(field), got.get(field))
                for index, hit in enumerate(outcome):
                    counts[field][index] += hit
                if args.verbose and outcome != (1, 0, 0) and outcome != (0, 0, 0):
                    print(f"  {case.stem}.{field}: expected {expected.get(field)!r}, "
                          f"got {got.get(field)!r}")
    _report(counts, len(cases), failures, elapsed)


def _page_of(case: Path, expected: dict) -> Path:
    if expected.get("_page"):
        return (case.parent / expected["_page"]).resolve()
    for suffix in (".html", ".html.gz"):
        candidate = case.with_suffix(suffix)
        if candidate.exists():
            return candidate
    raise SystemExit(f"{case}: no page beside it ({case.stem}.html or .html.gz) and no _page")


def _score(field: str, expected, got) -> tuple[int, int, int]:
    """(true positive, false positive, false negative) for one field of one page."""
    if got is None or got == "":
        return (0, 0, 1) if expected is not None else (0, 0, 0)
    if expected is None:
        return (0, 1, 0)
    return (1, 0, 0) if _same(field, expected, got) else (0, 1, 1)


def _same(field: str, expected, got) -> bool:
    if field == "price":
        try:
            return abs(float(expected) - float(got)) < 0.01
        except (TypeError, ValueError):
            return False
    if field == "gtin":
        return re.sub(r"\D", "", str(expected)).lstrip("0") == \
            re.sub(r"\D", "", str(got)).lstrip("0")
    return " ".join(str(expected).split()).casefold() == " ".join(str(got).split()).casefold()


def _report(counts: dict, pages: int, failures: int, elapsed: list[float]) -> None:
    print(f"\n{pages} pages, {failures} failed runs; extract CLI "
          f"{sum(elapsed) / len(elapsed):.2f} s a page on average (process start included)\n")
    print(f"{'field':<14}{'precision':>10}{'recall':>8}{'F1':>7}{'tp/fp/fn':>12}"
          f"{'published F1':>14}")
    for field, (tp, fp, fn) in counts.items():
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        published = f"{PUBLISHED[field]:.2f}" if field in PUBLISHED else ""
        print(f"{field:<14}{precision:>10.3f}{recall:>8.3f}{f1:>7.3f}"
              f"{f'{tp}/{fp}/{fn}':>12}{published:>14}")


if __name__ == "__main__":
    main()
