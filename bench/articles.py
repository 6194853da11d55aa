"""Article pages through the ``extract`` CLI: main-text F1 and metadata, routing included.

    .venv/bin/python bench/articles.py                 # all 990 pages of trafilatura-eval
    .venv/bin/python bench/articles.py --limit 200 --jobs 2

Each page of ``../shared/corpora/trafilatura-eval`` goes through ``python -m core extract PAGES…
--schema article.json`` with a schema of headline, author, datePublished and articleBody, as a
user would run it: the CLI decides from the schema and the page which path to take, so a page
taken for a list (printed as a list) or a product scores nothing. Pages go in batches through
one process each (the CLI reads several pages and prints JSON Lines); ``--jobs 2`` runs two
processes at once (the machine is shared: two at most). No ``--url``, as trafilatura's own
evaluation calls ``extract(html_bytes)``.

Main text (``articleBody``), the corpus's metric (SOURCE.txt): per page, "with" segments found in
the text are true positives, missing ones false negatives; "without" segments found are false
positives, absent ones true negatives; whitespace runs count as one space; micro over all pages.
Metadata: headline, author and datePublished against the annotated title, author and date by
bench/extraction.py's rule (METADATA_RULE).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from extraction import (METADATA_RULE, PUBLISHED_TRAFILATURA, TRAFILATURA, Counts,  # noqa: E402
                        metadata_key, segment_counts)

SCHEMA = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
          "properties": {"headline": {"type": "string"}, "author": {"type": "string"},
                         "datePublished": {"type": "string"},
                         "articleBody": {"type": "string"}}}
METADATA = (("headline", "title"), ("author", "author"), ("datePublished", "date"))
BATCH = 40


def page_path(name: str) -> Path:
    for folder in ("cache", "eval"):
        path = TRAFILATURA / folder / f"{name}.gz"
        if path.exists():
            return path
    raise SystemExit(f"{name}: not in cache/ or eval/")


def run_batch(paths: list[Path], schema: Path) -> tuple[list[dict], float]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "core", "extract", *map(str, paths),
                           "--schema", str(schema)], capture_output=True, text=True, cwd=ROOT,
                          timeout=3600)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    if len(lines) != len(paths):
        raise SystemExit(f"the CLI printed {len(lines)} lines for {len(paths)} pages: "
                         f"{done.stderr[-500:]}")
    return lines, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages")
    parser.add_argument("--jobs", type=int, default=1, choices=(1, 2))
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="list the pages printed as a list or with no body")
    args = parser.parse_args()
    entries = list(json.loads((TRAFILATURA / "evaldata.json").read_text()).items())[:args.limit]
    paths = [page_path(gold["file"]) for _, gold in entries]
    body = Counts()
    meta = {name: [0, 0] for name, _ in METADATA}  # annotated, right
    lists = errors = empty = 0
    seconds = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        schema = Path(tmp) / "article.json"
        schema.write_text(json.dumps(SCHEMA))
        batches = [paths[i:i + BATCH] for i in range(0, len(paths), BATCH)]
        started = time.perf_counter()
        with ThreadPoolExecutor(args.jobs) as pool:
            results = list(pool.map(lambda batch: run_batch(batch, schema), batches))
        wall = time.perf_counter() - started
    lines = [line for batch, spent in results for line in batch]
    seconds = sum(spent for _, spent in results)
    for (url, gold), line in zip(entries, lines, strict=True):
        data = line.get("data")
        if "error" in line:
            errors += 1
            data = {}
        elif isinstance(data, list):
            lists += 1
            if args.verbose:
                print(f"  list: {url}")
            data = {}
        text = data.get("articleBody")
        if not text:
            empty += 1
            if args.verbose and not isinstance(line.get("data"), list):
                print(f"  no body: {url}")
        body.add(segment_counts(text, gold["with"], gold["without"]))
        for name, key in METADATA:
            if key in gold:
                meta[name][0] += 1
                meta[name][1] += metadata_key(data.get(name), key) == metadata_key(gold[key], key)
    precision, recall, accuracy, f1 = body.figures()
    published = PUBLISHED_TRAFILATURA["standard"]
    print(f"\ntrafilatura-eval through `python -m core extract` (schema: headline, author, "
          f"datePublished, articleBody): {len(entries)} pages in batches of {BATCH}, "
          f"{args.jobs} process(es); {seconds / len(entries):.2f} s a page of CLI time, "
          f"{wall:.0f} s wall")
    print(f"{'':44}{'P':>7}{'R':>7}{'Acc':>7}{'F1':>7}")
    print(f"{'published trafilatura 2.2.0 standard':44}" +
          "".join(f"{v:>7.3f}" for v in published))
    print(f"{'extract CLI, articleBody':44}{precision:>7.3f}{recall:>7.3f}{accuracy:>7.3f}"
          f"{f1:>7.3f}   tp {body.tp} fp {body.fp} fn {body.fn} tn {body.tn}")
    print(f"\narticle pages printed as a list: {lists} (must be 0); no articleBody: {empty}; "
          f"unreadable: {errors}")
    print("Target: body F1 >= 0.93.")
    print(f"\nmetadata ({METADATA_RULE}):")
    for name, key in METADATA:
        annotated, right = meta[name]
        share = right / annotated if annotated else 0.0
        print(f"  {name:14} vs {key:7} {right}/{annotated} = {share:.3f}")


if __name__ == "__main__":
    main()
