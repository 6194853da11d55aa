"""Product detail pages through the ``extract`` CLI: per-field precision, recall and F1.

    .venv/bin/python bench/products.py                  # product-dev, leave-one-site-out, regression
    .venv/bin/python bench/products.py --only dev -v    # product-dev only, every miss listed
    .venv/bin/python bench/products.py --only regression
    .venv/bin/python bench/products.py --derive         # re-derive core/analysis/product_priors.json

**product-dev** (``../shared/corpora/product-dev``, 56 real pages of 23 shops): each page runs
``python -m core extract PAGE --schema product.json --url URL`` as its own subprocess (as a user
runs it, start-up included). Scored by the corpus's metric (SOURCE.txt): per attribute, micro
over pages; no prediction (None, "", []) → a false negative when the truth list is non-empty; a
prediction in the truth list → true positive; else a false positive, plus a false negative when
the truth list is non-empty; price as a Decimal (commas removed), availability by its last path
segment. Zyte, Diffbot and extruct are scored the same way from the corpus's ``output/`` on the
same pages. A page printed as a list counts as no prediction.

What is derived from the corpus: ``core/analysis/product_priors.json`` (the availability a
priced product page has when nothing on it says; ``--derive`` writes it from runs made without
priors). The leave-one-site-out column re-derives it without each site and measures that site's
pages with the re-derived file (``SCRAPEDECK_PRODUCT_PRIORS``); where the re-derived file equals
the full one the site's pages are not run again (the CLI is deterministic: same input, same
output). The rules and word lists in core/analysis/product.py are hand-written, not derived:
the leave-one-site-out figure does not cover them.

**regression** (``bench/products/``, the team's own labelled pages): a directory of
``NAME.json`` files, each the expected answer for one page: ``{"price": 119.99, "currency":
"USD", "sku": null, …}``. The page is ``NAME.html`` or ``NAME.html.gz`` beside it, or the file a
``"_page"`` key names (relative to the JSON file). An optional ``"_url"`` is passed as
``--url``. Keys starting with "_" are not scored. Equality: prices within 0.01; GTINs as digits
without leading zeros; other strings case- and whitespace-insensitively.
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
from collections import Counter
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / ".." / "shared" / "corpora" / "product-dev"
PRIORS = ROOT / "core" / "analysis" / "product_priors.json"
DEV_ATTRIBUTES = ("price", "sku", "availability", "brand", "gtin", "mpn")
SYSTEMS = ("Zyte", "Diffbot", "extruct")
DEV_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
    "properties": {
        "name": {"type": "string"}, "price": {"type": "number"}, "currency": {"type": "string"},
        "sku": {"type": "string"}, "brand": {"type": "string"}, "gtin": {"type": "string"},
        "mpn": {"type": "string"},
        "availability": {"type": "string", "enum": ["InStock", "OutOfStock", "PreOrder",
                                                    "BackOrder", "Discontinued",
                                                    "LimitedAvailability"]},
    },
}
FIELDS = ("price", "currency", "sku", "brand", "gtin", "mpn", "availability", "name")
# The best commercial extractor's published F1 on all 140 benchmark pages (Zyte).
PUBLISHED = {"price": 0.918, "sku": 0.841, "availability": 0.957}
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
    parser.add_argument("directory", nargs="?", default=str(ROOT / "bench" / "products"),
                        help="the regression set (default bench/products/)")
    parser.add_argument("--only", choices=("dev", "regression"))
    parser.add_argument("--derive", action="store_true",
                        help="derive core/analysis/product_priors.json from product-dev")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every miss")
    args = parser.parse_args()
    if args.derive:
        derive_priors_file()
        return
    if args.only in (None, "dev"):
        bench_dev(args.verbose)
    if args.only in (None, "regression"):
        bench_regression(Path(args.directory), args.verbose)


# -- product-dev ---------------------------------------------------------------------------------

def _site(url: str) -> str:
    """The shop a page belongs to: its domain's name without subdomains and suffix
    ("www.ebay.co.uk" and "www.ebay.it" → "ebay"), as the corpus splits its sites."""
    labels = urlsplit(url).netloc.lower().split(":", 1)[0].split(".")
    if len(labels) > 1:
        labels.pop()  # the top-level domain
    if len(labels) > 1 and labels[-1] in ("co", "com", "org", "net", "ac", "gov", "edu"):
        labels.pop()  # a second-level suffix: .co.uk, .com.au
    return labels[-1] if labels else ""


def _normal(attribute: str, value):
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None or value == "":
        return None
    if attribute == "price":
        try:
            return Decimal(str(value).replace(",", ""))
        except InvalidOperation:
            return str(value).strip()
    if attribute == "availability":
        return str(value).rstrip("/").rsplit("/", 1)[-1]
    return str(value).strip()


def dev_counts(truth: dict, predictions: dict, keys, attribute: str) -> tuple[int, int, int]:
    """(tp, fp, fn) over ``keys`` by the corpus's metric."""
    tp = fp = fn = 0
    for key in keys:
        accepted = [_normal(attribute, v) for v in truth[key].get(attribute) or []]
        got = _normal(attribute, (predictions.get(key) or {}).get(attribute))
        if got is None:
            fn += bool(accepted)
        elif got in accepted:
            tp += 1
        else:
            fp += 1
            fn += bool(accepted)
    return tp, fp, fn


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def run_dev(truth: dict, keys: list[str], priors: Path, schema: Path,
            elapsed: list[float] | None = None) -> tuple[dict, dict, int, int]:
    """The CLI on each page (one subprocess each, --explain): data, evidence, lists, failures."""
    data, evidence, lists, failures = {}, {}, 0, 0
    env = {**os.environ, "SCRAPEDECK_PRODUCT_PRIORS": str(priors)}
    for number, key in enumerate(keys, 1):
        page = CORPUS / "html" / f"{key}.html.gz"
        command = [sys.executable, "-m", "core", "extract", str(page), "--schema", str(schema),
                   "--url", truth[key]["url"], "--explain"]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env,
                              timeout=300)
        if elapsed is not None:
            elapsed.append(time.perf_counter() - started)
        print(f"  {number}/{len(keys)}", end="\r", file=sys.stderr)
        if done.returncode != 0:
            failures += 1
            print(f"{key[:12]}: exit {done.returncode}: {done.stderr.strip()[-300:]}",
                  file=sys.stderr)
            data[key] = {}
            continue
        answer = json.loads(done.stdout)
        if isinstance(answer["data"], list):
            lists += 1
            data[key] = {}
        else:
            data[key] = answer["data"]
            evidence[key] = answer.get("evidence") or {}
    return data, evidence, lists, failures


def derive_priors(truth: dict, keys, silent_run: dict) -> dict:
    """What the labelled pages say a priced product page with no stock signal is: the most
    common accepted availability over the pages where a run without priors found a price and
    no availability; kept only when such pages come from at least two sites."""
    states: Counter = Counter()
    sites = set()
    for key in keys:
        got = silent_run.get(key) or {}
        accepted = truth[key].get("availability") or []
        if got.get("price") is not None and got.get("availability") is None and accepted:
            states[_normal("availability", accepted[0])] += 1
            sites.add(_site(truth[key]["url"]))
    if len(sites) < 2 or not states:
        return {}
    return {"availability_when_silent": states.most_common(1)[0][0]}


def _write_priors(path: Path, priors: dict, keys, truth: dict) -> None:
    sites = sorted({_site(truth[k]["url"]) for k in keys})
    path.write_text(json.dumps({**priors, "_derived_from": f"bench/products.py --derive: "
                                f"product-dev, {len(keys)} pages of {len(sites)} sites"},
                               indent=2) + "\n")


def derive_priors_file() -> None:
    truth = json.loads((CORPUS / "ground-truth.json").read_text())
    keys = sorted(truth)
    with tempfile.TemporaryDirectory() as tmp:
        schema, empty = Path(tmp) / "product.json", Path(tmp) / "none.json"
        schema.write_text(json.dumps(DEV_SCHEMA))
        empty.write_text("{}")
        silent, _, _, _ = run_dev(truth, keys, empty, schema)
    priors = derive_priors(truth, keys, silent)
    _write_priors(PRIORS, priors, keys, truth)
    print(f"{PRIORS.relative_to(ROOT)}: {priors}")


def bench_dev(verbose: bool) -> None:
    truth = json.loads((CORPUS / "ground-truth.json").read_text())
    keys = sorted(truth)
    sites = sorted({_site(truth[k]["url"]) for k in keys})
    elapsed: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        schema, empty = Path(tmp) / "product.json", Path(tmp) / "none.json"
        schema.write_text(json.dumps(DEV_SCHEMA))
        empty.write_text("{}")
        print("product-dev: the extract CLI with the shipped priors …", file=sys.stderr)
        full, evidence, lists, failures = run_dev(truth, keys, PRIORS, schema, elapsed)
        print("product-dev: without priors (to re-derive them per left-out site) …",
              file=sys.stderr)
        silent, _, _, _ = run_dev(truth, keys, empty, schema)
        shipped = {k: v for k, v in json.loads(PRIORS.read_text()).items()
                   if not k.startswith("_")}
        loso: dict[str, dict] = {}
        rerun = 0
        for site in sites:
            held = [k for k in keys if _site(truth[k]["url"]) == site]
            priors = derive_priors(truth, [k for k in keys if k not in held], silent)
            if priors == shipped:
                loso.update({k: full[k] for k in held})
                continue
            rerun += 1
            path = Path(tmp) / f"priors-{site}.json"
            path.write_text(json.dumps(priors))
            again, _, _, _ = run_dev(truth, held, path, schema)
            loso.update(again)
    print(f"\nproduct-dev: {len(keys)} pages, {len(sites)} sites; {failures} failed runs, "
          f"{lists} printed as a list; extract CLI {sum(elapsed) / len(elapsed):.2f} s a page "
          f"(one process per page, start-up included)")
    print(f"shipped priors: {shipped or 'none'}; leave-one-site-out: {len(sites)} folds, "
          f"{rerun} with different priors (re-run)\n")
    header = f"{'attribute':<13}{'P':>7}{'R':>7}{'F1':>7}{'tp/fp/fn':>11}{'LOSO F1':>9}"
    header += "".join(f"{name + ' F1':>12}" for name in SYSTEMS)
    print(header)
    outputs = {name: json.loads((CORPUS / "output" / f"{name}.json").read_text())
               for name in SYSTEMS}
    for attribute in DEV_ATTRIBUTES:
        tp, fp, fn = dev_counts(truth, full, keys, attribute)
        precision, recall, f1 = _f1(tp, fp, fn)
        loso_f1 = _f1(*dev_counts(truth, loso, keys, attribute))[2]
        row = f"{attribute:<13}{precision:>7.3f}{recall:>7.3f}{f1:>7.3f}{f'{tp}/{fp}/{fn}':>11}"
        row += f"{loso_f1:>9.3f}"
        row += "".join(f"{_f1(*dev_counts(truth, outputs[name], keys, attribute))[2]:>12.3f}"
                       for name in SYSTEMS)
        print(row)
    print("\nTarget: price, sku, availability F1 >= Zyte's, LOSO within 0.03.")
    families = Counter(ev.get("from") for page in evidence.values() for ev in page.values())
    print("evidence of the values printed: " + ", ".join(f"{name} {count}" for name, count
                                                        in families.most_common()))
    if verbose:
        for attribute in DEV_ATTRIBUTES:
            for key in keys:
                accepted = [_normal(attribute, v) for v in truth[key].get(attribute) or []]
                got = _normal(attribute, full[key].get(attribute))
                if (got is None and accepted) or (got is not None and got not in accepted):
                    source = (evidence.get(key, {}).get(attribute) or {}).get("source", "")
                    print(f"  {attribute} {_site(truth[key]['url'])} {key[:8]}: got {got!r} "
                          f"({source}), accepted {accepted}")


# -- the regression set --------------------------------------------------------------------------

def bench_regression(directory: Path, verbose: bool) -> None:
    cases = sorted(directory.glob("*.json"))
    if not cases:
        sys.exit(f"no NAME.json files in {directory}")
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
                if verbose and outcome != (1, 0, 0) and outcome != (0, 0, 0):
                    print(f"  {case.stem}.{field}: expected {expected.get(field)!r}, "
                          f"got {got.get(field)!r}")
    print("\nregression set (the team's own labelled pages, bench/products/):")
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
