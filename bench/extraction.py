"""Extraction quality on real pages with known answers, printed beside the published figures.

    .venv/bin/python bench/extraction.py                       # everything (many minutes)
    .venv/bin/python bench/extraction.py --only htmldate --limit 100
    .venv/bin/python bench/extraction.py --only trafilatura --jobs 2

The corpora live in ``../shared/corpora/`` (relative to the project root) and are read where they
are, never copied. Each metric is the one the corpus's SOURCE.txt describes, measured through the
project's own functions:

- trafilatura: main text through ``core.analysis.article`` (standard) and ``main_text(fast=True)``
  (fast): per page, "with" segments found in the text are true positives, missing ones false
  negatives; "without" (boilerplate) segments found are false positives, absent ones true
  negatives; whitespace runs count as one space; micro-averaged over all pages. Then title,
  author and date of ``article()`` against the annotations, where present (see METADATA_RULE).
- htmldate: ``core.analysis.dates.publication_date`` (no URL, as htmldate's own evaluation calls
  ``find_date(html, original_date=True, extensive_search=…)``): no date → false negative, the
  annotated 'YYYY-MM-DD' → true positive, any other date → false positive (only).
- extruct: every case of cases.json through ``core.analysis.structured.extract_all``, compared
  per its rule; RDFa order-insensitively (blank nodes renumbered, lists sorted, XML literals
  canonicalised).
- price-parser: every row through the project's ``price`` and ``currency`` transforms
  (core/scrape/transforms.py), required rows and the XFAIL rows apart.

``--jobs 2`` reads the pages in two processes (the machine is shared: two at most). Progress goes
to stderr, figures to stdout.
"""

from __future__ import annotations

import argparse
import ast
import gzip
import json
import re
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))
CORPORA = PROJECT_ROOT / ".." / "shared" / "corpora"

from core.analysis.article import article, main_text  # noqa: E402
from core.analysis.dates import publication_date  # noqa: E402
from core.analysis.structured import extract_all  # noqa: E402
from core.scrape.transforms import Transform, apply_transform  # noqa: E402

METADATA_FIELDS = ("title", "author", "date")
METADATA_RULE = ("normalised exact match: both sides NFC, whitespace runs -> one space, trimmed, "
                 "casefolded; authors compared as the set of names (split on ';', trafilatura's "
                 "separator; 4 annotations are lists); an empty annotation means 'the page has "
                 "none' and is matched only by no value")
MAX_JOBS = 2


# -- shared: counts and printing --------------------------------------------------------------------

@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.tn += other.tn

    def figures(self) -> tuple[float, float, float, float]:
        """Precision, recall, accuracy, F1 (0 where undefined)."""
        tp, fp, fn, tn = self.tp, self.fp, self.fn, self.tn
        total = tp + fp + fn + tn
        return (tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0,
                (tp + tn) / total if total else 0.0,
                2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else 0.0)


def print_table(title: str, rows: list[tuple[str, tuple[float, ...] | None, str]]) -> None:
    print(f"\n{title}")
    print(f"  {'':44} {'Precision':>9} {'Recall':>9} {'Accuracy':>9} {'F1':>9}")
    for label, figures, note in rows:
        if figures is None:
            print(f"  {label:44} {note}")
        else:
            cells = " ".join(f"{value:9.3f}" for value in figures)
            print(f"  {label:44} {cells}  {note}")


def run_pages(work: Callable[[Any], Any], items: list[Any], jobs: int, label: str) -> Iterator[Any]:
    """``work(item)`` for each item, in order, in ``jobs`` processes; progress on stderr."""
    started = time.monotonic()
    chunks = max(1, min(8, len(items) // (jobs * 8) or 1))
    if jobs > 1:
        pool = ProcessPoolExecutor(max_workers=jobs)
        results: Iterable[Any] = pool.map(work, items, chunksize=chunks)
    else:
        pool, results = None, map(work, items)
    try:
        for done, result in enumerate(results, start=1):
            if done % 50 == 0 or done == len(items):
                elapsed = time.monotonic() - started
                print(f"  {label}: {done}/{len(items)} pages, {elapsed:.0f} s", file=sys.stderr)
            yield result
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def read_gzipped(folder: Path, name: str, lookup: tuple[str, ...]) -> bytes:
    for sub in lookup:
        path = folder / sub / f"{name}.gz"
        if path.exists():
            return gzip.decompress(path.read_bytes())
    raise FileNotFoundError(f"{name} not in {', '.join(lookup)} of {folder}")


def normalise_space(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# -- trafilatura-eval -----------------------------------------------------------------------------

TRAFILATURA = CORPORA / "trafilatura-eval"
PUBLISHED_TRAFILATURA = {  # trafilatura 2.2.0, published_results.txt (P, R, Acc, F1)
    "standard": (0.906, 0.943, 0.923, 0.924),
    "fast": (0.907, 0.930, 0.917, 0.918),
}


def segment_counts(text: str | None, with_: list[str], without: list[str]) -> Counts:
    if text is None:
        return Counts(tp=0, fn=len(with_), fp=0, tn=len(without))
    found = normalise_space(text)
    tp = sum(normalise_space(segment) in found for segment in with_)
    fp = sum(normalise_space(segment) in found for segment in without)
    return Counts(tp=tp, fn=len(with_) - tp, fp=fp, tn=len(without) - fp)


def metadata_key(value: str | list[str] | None, name: str) -> str | frozenset[str]:
    if name == "author":
        names = value if isinstance(value, list) else (value or "").split(";")
        return frozenset(key for n in names if (key := metadata_key(n, "")))
    return normalise_space(unicodedata.normalize("NFC", value or "")).casefold()


def trafilatura_page(entry: tuple[str, dict]) -> dict:
    _url, gold = entry
    html = read_gzipped(TRAFILATURA, gold["file"], ("cache", "eval"))
    # No URL, as the published evaluation calls extract(html_bytes, …).
    story = article(html)
    fast_text = main_text(html, fast=True)
    return {
        "standard": segment_counts(story.text, gold["with"], gold["without"]),
        "fast": segment_counts(fast_text, gold["with"], gold["without"]),
        "metadata": {name: (metadata_key(getattr(story, name), name)
                            == metadata_key(gold[name], name),
                            bool(gold[name]))
                     for name in METADATA_FIELDS if name in gold},
    }


def bench_trafilatura(limit: int | None, jobs: int) -> None:
    entries = list(json.loads((TRAFILATURA / "evaldata.json").read_text()).items())[:limit]
    totals = {"standard": Counts(), "fast": Counts()}
    # per field: [annotated, right, annotated with a value, right among those]
    meta = {name: [0, 0, 0, 0] for name in METADATA_FIELDS}
    started = time.monotonic()
    for page in run_pages(trafilatura_page, entries, jobs, "trafilatura-eval"):
        for mode in totals:
            totals[mode].add(page[mode])
        for name, (right, has_value) in page["metadata"].items():
            meta[name][0] += 1
            meta[name][1] += right
            meta[name][2] += has_value
            meta[name][3] += right and has_value
    elapsed = time.monotonic() - started
    segments = sum(len(gold["with"]) + len(gold["without"]) for _, gold in entries)
    print_table(
        f"trafilatura-eval: main text, {len(entries)} pages, {segments} segments "
        f"(trafilatura {_version('trafilatura')} here; {elapsed:.0f} s for both modes)",
        [("published trafilatura 2.2.0 standard", PUBLISHED_TRAFILATURA["standard"], ""),
         ("core.analysis.article (standard)", totals["standard"].figures(), _counts(totals["standard"])),
         ("published trafilatura 2.2.0 fast", PUBLISHED_TRAFILATURA["fast"], ""),
         ("core.analysis.article.main_text(fast=True)", totals["fast"].figures(), _counts(totals["fast"]))])
    print(f"\n  article() metadata accuracy ({METADATA_RULE}; no published figure):")
    for name, (annotated, right, with_value, right_with_value) in meta.items():
        print(f"    {name:7} {_ratio(right, annotated)} of annotated pages;"
              f" {_ratio(right_with_value, with_value)} where the annotation has a value")


# -- htmldate-eval --------------------------------------------------------------------------------

HTMLDATE = CORPORA / "htmldate-eval"
PUBLISHED_HTMLDATE = {  # htmldate 1.10.0, published_results.txt (P, R, Acc, F1)
    "extensive": (0.908, 0.993, 0.903, 0.949),
    "fast": (0.924, 0.927, 0.861, 0.925),
}


def date_counts(found: str | None, gold: str | None) -> Counts:
    if found is None:
        return Counts(fn=1, tn=1 if gold is None else 0)
    return Counts(tp=1) if found == gold else Counts(fp=1)


def htmldate_page(entry: tuple[str, dict]) -> dict[str, Counts]:
    _url, gold = entry
    html = read_gzipped(HTMLDATE, gold["file"], ("test_set", "cache", "eval"))
    return {"extensive": date_counts(publication_date(html, extensive=True), gold["date"]),
            "fast": date_counts(publication_date(html, extensive=False), gold["date"])}


def bench_htmldate(limit: int | None, jobs: int) -> None:
    entries: list[tuple[str, dict]] = []
    for name in ("eval_default.json", "eval_mediacloud_2020.json"):
        entries.extend(json.loads((HTMLDATE / name).read_text()).items())
    entries = entries[:limit]
    totals = {"extensive": Counts(), "fast": Counts()}
    started = time.monotonic()
    for page in run_pages(htmldate_page, entries, jobs, "htmldate-eval"):
        for mode in totals:
            totals[mode].add(page[mode])
    elapsed = time.monotonic() - started
    print_table(
        f"htmldate-eval: publication dates, {len(entries)} pages "
        f"(htmldate {_version('htmldate')} here; {elapsed:.0f} s for both modes)",
        [("published htmldate 1.10.0 extensive", PUBLISHED_HTMLDATE["extensive"], ""),
         ("core.analysis.dates (extensive)", totals["extensive"].figures(), _counts(totals["extensive"])),
         ("published htmldate 1.10.0 fast", PUBLISHED_HTMLDATE["fast"], ""),
         ("core.analysis.dates (extensive=False)", totals["fast"].figures(), _counts(totals["fast"]))])


# -- extruct ------------------------------------------------------------------------------------------

EXTRUCT = CORPORA / "extruct"
EXTRUCT_SAMPLES = EXTRUCT / "tests" / "samples"
SYNTAX_OF_EXTRACTOR = {"JsonLdExtractor": "json-ld", "OpenGraphExtractor": "opengraph",
                       "DublinCoreExtractor": "dublincore", "MicroformatExtractor": "microformat",
                       "MicrodataExtractor": "microdata", "RDFaExtractor": "rdfa"}
XML_LITERAL = "http://www.w3.org/1999/02/22-rdf-syntax-ns#XMLLiteral"


def run_extruct_case(case: dict) -> Any:
    """The case's extruct call, made through ``extract_all``."""
    html = (EXTRUCT_SAMPLES / case["html"]).read_bytes()
    call = case["extractor"]
    options = case["options"] if isinstance(case["options"], dict) else {}
    if call.startswith("extruct.extract"):
        options = dict(options)
        return extract_all(html, options.pop("base_url", None), **options)
    # "MicrodataExtractor(nested=False, strict=True).extract(body, 'http://…')": read the Python
    # expression the case transcribes rather than guessing from its text.
    expression = ast.parse(call, mode="eval").body
    constructor = expression.func.value
    syntax = SYNTAX_OF_EXTRACTOR[constructor.func.id]
    microdata_options = {k.arg: ast.literal_eval(k.value) for k in constructor.keywords}
    base_url = None
    if len(expression.args) > 1:
        base_url = ast.literal_eval(expression.args[1])
    for keyword in expression.keywords:
        if keyword.arg == "base_url":
            base_url = ast.literal_eval(keyword.value)
    result = extract_all(html, base_url, syntaxes=[syntax],
                         microdata_options=microdata_options if syntax == "microdata" else None)
    return result[syntax]


def extruct_case_passes(case: dict, result: Any) -> str | None:
    """None when the case passes, else where the result first differs from the expected output."""
    expected = json.loads((EXTRUCT_SAMPLES / case["expected"]).read_text(encoding="utf-8"))
    rule = case["compare"]
    if "htmlNode" in rule:  # lxml nodes → the node's id attribute, as extruct's test does
        result = _node_ids(result)
    result = json.loads(json.dumps(result))
    if rule.startswith("order-insensitive"):
        same = canonical_rdfa(result) == canonical_rdfa(expected)
        return None if same else "differs after order-insensitive canonicalisation"
    if rule.startswith("only the 'rdfa' key"):
        result, expected = result.get("rdfa"), expected.get("rdfa")
    elif "result == {'microdata': expected}" in rule:
        expected = {"microdata": expected}
    elif compared := re.search(r"compare (?:result)?\['(\w[\w-]*)'\]", rule):
        key = compared.group(1)
        # The expected file holds either the whole result or just that key's list.
        result, expected = result.get(key), (expected.get(key) if isinstance(expected, dict) else expected)
    # else "exact", and "itemref resolution" (exact as well)
    return first_difference(result, expected)


def first_difference(got: Any, want: Any, path: str = "") -> str | None:
    if type(got) is not type(want):
        return f"at {path or '/'}: got {_short(got)}, want {_short(want)}"
    if isinstance(got, dict):
        for key in sorted(set(got) | set(want)):
            if key not in got or key not in want:
                return f"at {path}/{key}: {'missing' if key not in got else 'unexpected'}"
            if found := first_difference(got[key], want[key], f"{path}/{key}"):
                return found
    elif isinstance(got, list):
        for index, (a, b) in enumerate(zip(got, want)):
            if found := first_difference(a, b, f"{path}/{index}"):
                return found
        if len(got) != len(want):
            return f"at {path or '/'}: {len(got)} items, want {len(want)}"
    elif got != want:
        return f"at {path or '/'}: got {_short(got)}, want {_short(want)}"
    return None


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 70 else text[:67] + "..."


def _node_ids(value: Any) -> Any:
    if isinstance(value, list):
        return [_node_ids(v) for v in value]
    if isinstance(value, dict):
        return {("_nodeId_" if k == "htmlNode" else k): (v.get("id") if k == "htmlNode" else _node_ids(v))
                for k, v in value.items()}
    return value


def canonical_rdfa(document: Any) -> str:
    """Expanded JSON-LD in a form where order and blank-node labels do not matter.

    Lists are sorted (with blank-node labels masked), blank nodes are then numbered in order of
    first appearance, lists sorted again with the new labels; XML literals are C14N-serialised.
    """
    document = _canonical_literals(document)
    ordered = _sorted_deep(document, masked=True)
    labels: dict[str, str] = {}
    for label in re.findall(r'"(_:[^"]+)"', json.dumps(ordered, sort_keys=True)):
        labels.setdefault(label, f"_:b{len(labels)}")
    relabelled = _relabel(ordered, labels)
    return json.dumps(_sorted_deep(relabelled, masked=False), sort_keys=True)


def _sorted_deep(value: Any, masked: bool) -> Any:
    if isinstance(value, dict):
        return {k: _sorted_deep(v, masked) for k, v in value.items()}
    if isinstance(value, list):
        items = [_sorted_deep(v, masked) for v in value]
        return sorted(items, key=lambda v: _sort_key(v, masked))
    return value


def _sort_key(value: Any, masked: bool) -> str:
    text = json.dumps(value, sort_keys=True)
    return re.sub(r'"_:[^"]+"', '"_:"', text) if masked else text


def _relabel(value: Any, labels: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _relabel(v, labels) for k, v in value.items()}
    if isinstance(value, list):
        return [_relabel(v, labels) for v in value]
    return labels.get(value, value) if isinstance(value, str) else value


def _canonical_literals(value: Any) -> Any:
    if isinstance(value, list):
        return [_canonical_literals(v) for v in value]
    if not isinstance(value, dict):
        return value
    if value.get("@type") == XML_LITERAL and isinstance(value.get("@value"), str):
        return {**value, "@value": _c14n(value["@value"])}
    return {k: _canonical_literals(v) for k, v in value.items()}


def _c14n(fragment: str) -> str:
    from lxml import etree

    try:
        wrapper = etree.fromstring(f"<c14n-wrapper>{fragment}</c14n-wrapper>")
    except etree.XMLSyntaxError:
        return normalise_space(fragment)
    text = etree.tostring(wrapper, method="c14n").decode()
    return normalise_space(text.removeprefix("<c14n-wrapper>").removesuffix("</c14n-wrapper>"))


def bench_extruct(limit: int | None) -> None:
    cases = json.loads((EXTRUCT / "cases.json").read_text(encoding="utf-8"))["cases"][:limit]
    failures: list[str] = []
    for case in cases:
        label = f"{case['html']} -> {case['expected']} [{case['extractor']}]"
        try:
            difference = extruct_case_passes(case, run_extruct_case(case))
        except Exception as error:  # a crash is a failed case, with its reason
            failures.append(f"{label}\n      raised {type(error).__name__}: {error}")
            continue
        if difference:
            note = f" (case note: {case['note']})" if case.get("note") else ""
            failures.append(f"{label}{note}\n      {difference}")
    print(f"\nextruct: structured data through core.analysis.structured.extract_all "
          f"(extruct {_version('extruct')} here)")
    print(f"  passed {len(cases) - len(failures)}/{len(cases)} cases "
          f"(published: extruct's own tests pass every case they reference)")
    for failure in failures:
        print(f"  FAILED {failure}")


# -- price-parser ------------------------------------------------------------------------------------

PRICES = CORPORA / "price-parser" / "price_parsing_examples.json"
XFAIL_GROUPS = ("PRICE_PARSING_EXAMPLES_XFAIL", "PRICE_PARSING_EXAMPLES_XFAIL_CURRENCIES_TO_BE_ADDED")


@dataclass
class PriceTally:
    rows: int = 0
    both: int = 0  # amount and currency right: what the project's transforms can give
    amount: int = 0
    currency: int = 0
    currency_fallback: int = 0  # the currency element's text when the price text has none
    reference: int = 0  # price-parser itself, with currency hint and amount_text: the corpus metric
    misses: list[str] = field(default_factory=list)


def _same_amount(found: Any, expected: str | None) -> bool:
    if expected is None or found is None:
        return found is None and expected is None
    try:
        return Decimal(str(found)) == Decimal(expected)
    except InvalidOperation:
        return False


def price_row(row: dict) -> tuple[bool, bool, bool, bool, str]:
    """(amount right, currency right, currency right with the currency element as fallback,
    price-parser's full metric right, why the transforms miss).

    A package's ``price`` and ``currency`` fields both read the price element's text (the way
    tests/scrape and the builder write them); the transforms take one text, so the separate
    currency element (``currency_hint``) and ``decimal_separator`` are not available to them.
    """
    from price_parser import Price

    text, hint = row["price_raw"], row["currency_hint"]
    amount = apply_transform(Transform("price"), text, "") if text is not None else None
    currency = apply_transform(Transform("currency"), text, "") if text is not None else None
    reference = Price.fromstring(text, currency_hint=hint,
                                 decimal_separator=row.get("decimal_separator"))
    reference_right = (_same_amount(reference.amount, row["expected_amount"])
                       and reference.currency == row["expected_currency"]
                       and reference.amount_text == row["expected_amount_text"])
    amount_right = _same_amount(amount, row["expected_amount"])
    currency_right = currency == row["expected_currency"]
    # price-parser's own order: the price text first, then the currency element.
    fallback = currency if currency is not None or hint is None else \
        apply_transform(Transform("currency"), hint, "")
    cause = ""
    if row.get("decimal_separator"):
        cause = "needs the page's decimal separator"
    elif not currency_right and reference.currency == row["expected_currency"]:
        cause = "currency only in the separate currency element"
    elif not amount_right and _same_amount(Price.fromstring(text).amount, row["expected_amount"]):
        cause = "float rounding of the amount"
    return (amount_right, currency_right, fallback == row["expected_currency"], reference_right,
            cause or "other")


def bench_prices(limit: int | None) -> None:
    groups = json.loads(PRICES.read_text(encoding="utf-8"))
    tallies = {"required": PriceTally(), "xfail": PriceTally()}
    causes: dict[str, list[str]] = {}
    for group, rows in groups.items():
        tally = tallies["xfail" if group in XFAIL_GROUPS else "required"]
        for row in rows[:limit]:
            amount_ok, currency_ok, fallback_ok, reference_ok, cause = price_row(row)
            tally.rows += 1
            tally.amount += amount_ok
            tally.currency += currency_ok
            tally.currency_fallback += fallback_ok
            tally.both += amount_ok and currency_ok
            tally.reference += reference_ok
            if not (amount_ok and currency_ok) and reference_ok and tally is tallies["required"]:
                causes.setdefault(cause, []).append(
                    f"{row['price_raw']!r} (currency element {row['currency_hint']!r}) -> want "
                    f"{row['expected_amount']} {row['expected_currency']!r}")
    required, xfail = tallies["required"], tallies["xfail"]
    print("\nprice-parser: price strings through the project's `price` and `currency` transforms "
          "(core/scrape/transforms.py)")
    print("  published price-parser 0.5.1 (amount, currency and amount_text, with the currency "
          "element as hint): 1051/1051 required, 0/134 xfail")
    print(f"  price-parser here, same metric:            {required.reference}/{required.rows} required, "
          f"{xfail.reference}/{xfail.rows} xfail")
    print(f"  project transforms, amount and currency:   {required.both}/{required.rows} required, "
          f"{xfail.both}/{xfail.rows} xfail")
    print(f"    amount (`price`) right:                  {required.amount}/{required.rows} required, "
          f"{xfail.amount}/{xfail.rows} xfail")
    print(f"    currency (`currency`) right:             {required.currency}/{required.rows} required, "
          f"{xfail.currency}/{xfail.rows} xfail")
    print(f"    currency, the currency element's text when the price text has none (two fields' "
          f"worth of text; one package field cannot combine them today): "
          f"{required.currency_fallback}/{required.rows} required, "
          f"{xfail.currency_fallback}/{xfail.rows} xfail")
    print("    amount_text: not produced (the `price` transform gives the number, not the text)")
    missed = sum(len(rows) for rows in causes.values())
    print(f"  required rows price-parser gets right and the transforms miss: {missed}, by cause:")
    for cause, rows in sorted(causes.items(), key=lambda item: -len(item[1])):
        print(f"    {len(rows):4}  {cause}, e.g. {'; '.join(rows[:3])}")


# -- main -----------------------------------------------------------------------------------------

def _ratio(right: int, total: int) -> str:
    return f"{right}/{total} = {right / total:.3f}" if total else f"{right}/0"


def _counts(counts: Counts) -> str:
    return f"tp {counts.tp} fp {counts.fp} fn {counts.fn} tn {counts.tn}"


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=("trafilatura", "htmldate", "extruct", "prices"))
    parser.add_argument("--limit", type=int, default=None,
                        help="the first N pages / cases / rows per group of each corpus")
    parser.add_argument("--jobs", type=int, default=1, choices=range(1, MAX_JOBS + 1),
                        help="processes reading pages (at most 2: the machine is shared)")
    args = parser.parse_args(argv)
    if not CORPORA.is_dir():
        parser.error(f"the corpora are not at {CORPORA.resolve()}")
    print("Extraction quality (bench/extraction.py); published figures from each corpus's "
          "published_results.txt / SOURCE.txt" + (f"; --limit {args.limit}" if args.limit else ""))
    if args.only in (None, "extruct"):
        bench_extruct(args.limit)
    if args.only in (None, "prices"):
        bench_prices(args.limit)
    if args.only in (None, "htmldate"):
        bench_htmldate(args.limit, args.jobs)
    if args.only in (None, "trafilatura"):
        bench_trafilatura(args.limit, args.jobs)


if __name__ == "__main__":
    main()
