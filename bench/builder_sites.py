"""The objective builder learning a real site from k sample pages (SWDE book vertical).

    .venv/bin/python bench/builder_sites.py                     # k = 1, 2, 3, 5; all other pages
    .venv/bin/python bench/builder_sites.py -k 3 --pages 100 -v # one k, fewer pages, every miss

Drives the builder through its public command line, as a new user would, each k in a fresh
SQLite data folder (so no build starts from another's knowledge-base entry):

    python -m core init
    python -m core --user U builds create --objective OBJECTIVE --file 0000.htm … --wait
    python -m core --user U builds confirm ID                      (no correction)
    python -m core --user U builds feedback ID --field F --example VALUE   (one per wrong field:
        the true value on the first sample, as a user copies it from the page) then confirm

and runs the confirmed package on the other pages with what ``python -m core extract PAGE
--config PACKAGE.json`` runs (``parse_package`` + ``extract_records``, in this process: one
subprocess per page would take minutes); the first five pages also go through the real
``extract --config`` subprocess and must give the same record.

Samples: pages 0000…000k-1. Scored: every page from 0005 on (1,995 pages), or ``--pages N`` of
them (every 10th from 0005).

Metric (SWDE page-level, ../shared/corpora/swde-book-dev/SOURCE.txt): a value is right when,
lower-cased, whitespace collapsed and trailing .,;: stripped, it equals one of the page's truth
values; P = right / pages with a value, R = right / pages whose truth has a value. Three
columns:

- ``swde``: exactly that. The truth keeps what its text node held, so ISBN-13, publisher and
  date truths start with ": " (": 9780316125581") and dates are "June 2010" as printed;
- ``trimmed``: the same, with separators also stripped at the start of both sides (text still
  compared as text: an ISO date is wrong against "June 2010");
- ``value``: trimmed, and dates compared
  as dates (the truth text through the package's own ``date`` transform). This is the figure the
  issue's target (mean F1 ≥ 0.95 from 3 samples) is read against.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.analysis.objective import wanted_fields  # noqa: E402
from core.scrape.extract import extract_records  # noqa: E402
from core.scrape.package import parse_package  # noqa: E402
from core.scrape.transforms import Transform, apply_transform  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "swde-book-dev"
OBJECTIVE = "books: title, author, isbn_13, publisher, publication_date"
ATTRIBUTES = ("title", "author", "isbn_13", "publisher", "publication_date")
USER = "bench@example.com"
SCHEMA = {"type": "object", "properties": {a: {"type": "string"} for a in ATTRIBUTES}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-k", type=int, action="append", help="sample count (repeatable)")
    parser.add_argument("--pages", type=int, default=0,
                        help="score N other pages (every 10th); 0: all 1,995 others")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every miss")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"no corpus at {CORPUS}")
    truth = {a: _truth(a) for a in ATTRIBUTES}
    names = _field_names()
    others = [f"{n:04d}" for n in range(5, 2000, 10)][: args.pages] if args.pages else \
        [f"{n:04d}" for n in range(5, 2000)]
    pages = {page: _page(page) for page in others}
    print(f"swde-book-dev (booksamillion): objective {OBJECTIVE!r}; {len(others)} other pages "
          f"scored ({others[0]}..{others[-1]}); samples 0000..; fields {names}")
    print("anchor: mean value F1 >= 0.95 from 3 samples, no correction; >= 0.98 with one "
          "correction per wrong field (per-site wrappers are expected near 1.0)")
    print(EXPLAIN + "\n")
    for k in args.k or [1, 2, 3, 5]:
        samples = [f"{n:04d}" for n in range(k)]
        for corrected in (False, True):
            with tempfile.TemporaryDirectory() as tmp:
                package, log = _build(Path(tmp), samples, truth, names, corrected)
            label = f"k={k} {'one correction per wrong field' if corrected else 'no correction'}"
            print(f"== {label}: {'; '.join(log) or 'no correction needed'}")
            _check_cli(package, others[:5], pages)
            _score(package, pages, truth, names, args.verbose)


# --- Driving the builder through the CLI --------------------------------------------------------

def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "core", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise SystemExit(f"python -m core {' '.join(args[:4])} … failed:\n{done.stderr}")
    return done.stdout


def _json_after(text: str) -> dict:
    return json.loads(text[text.index("{"):])


def _build(tmp: Path, samples: list[str], truth: dict, names: dict[str, str],
           corrected: bool) -> tuple[dict, list[str]]:
    env = {**os.environ, "SCRAPEDECK_DATA_DIR": str(tmp / "data"), "DATABASE_URL": "",
           "ADMIN_EMAIL": USER, "ADMIN_PASSWORD": "bench-password-1", "EXECUTOR": "local",
           "BCRYPT_ROUNDS": "4", "APP_STARTS_WORKER": "false", "PYTHONPATH": str(ROOT)}
    files = []
    for sample in samples:
        path = tmp / f"{sample}.htm"
        path.write_bytes(gzip.decompress((CORPUS / "html" / f"{sample}.htm.gz").read_bytes()))
        files += ["--file", str(path)]
    _cli(env, "init")
    out = _cli(env, "--user", USER, "builds", "create", "--objective", OBJECTIVE, *files, "--wait")
    build = _json_after(out)
    log: list[str] = []
    if corrected:
        first = samples[0]
        for attribute in ATTRIBUTES:
            name = names[attribute]
            values = build["samples"].get(name, {}).get("values") or [None]
            wanted = truth[attribute].get(first) or []
            if not wanted or _right(values[0], wanted, mode="value", kind=_kind(build, name)):
                continue
            example = wanted[0].strip(" \t:;,.-|")  # what a user copies from the page
            out = _cli(env, "--user", USER, "builds", "feedback", build["id"], "--field", name,
                       "--example", example)
            done = _json_after(out)
            log.append(f"{name} ← {example!r}: {'; '.join(done['changes'])[:160]}")
            build = _json_after(_cli(env, "--user", USER, "builds", "show", build["id"]))
    _cli(env, "--user", USER, "builds", "confirm", build["id"])
    return _json_after(_cli(env, "--user", USER, "builds", "show", build["id"]))["package"], log


def _kind(build: dict, name: str) -> str:
    spec = (build.get("package") or {}).get("fields", {}).get(name) or {}
    return "date" if "date" in spec.get("transforms", []) else "text"


def _check_cli(package: dict, pages: list[str], html: dict[str, str]) -> None:
    """The first pages through the real ``extract --config`` subprocess: the same records."""
    with tempfile.TemporaryDirectory() as tmp:
        config, schema = Path(tmp) / "package.json", Path(tmp) / "schema.json"
        config.write_text(json.dumps(package))
        schema.write_text(json.dumps(SCHEMA))
        for page in pages:
            done = subprocess.run(
                [sys.executable, "-m", "core", "extract", str(CORPUS / "html" / f"{page}.htm.gz"),
                 "--schema", str(schema), "--config", str(config)], cwd=ROOT,
                capture_output=True, text=True, timeout=120)
            if done.returncode != 0 or json.loads(done.stdout) != _extract(package, html[page]):
                raise SystemExit(f"extract --config disagrees on page {page}: {done.stderr}")


# --- Scoring -------------------------------------------------------------------------------------

def _extract(package: dict, html: str) -> dict:
    records = extract_records(parse_package(package), html, "")
    return records[0].data if records else {}


MODES = ("swde", "trimmed", "value")
EXPLAIN = (
    "   swde: SOURCE.txt's metric as written (lower-case, whitespace collapsed, trailing .,;: "
    "stripped). Its truths keep what the text node held: ISBN-13, publisher and date read "
    "': 9780316125581', ': Zondervan', ': June 2010', so only a value that keeps the label's "
    "colon can be right; the package strips it (a label is not data), which this column counts "
    "wrong.\n"
    "   trimmed: the same, with separators (: ; , . - |) also stripped at the start of both "
    "sides; text compared as text, so an ISO date (2010-06-01) is still wrong against 'June "
    "2010'.\n"
    "   value: trimmed, and a date field's truth read as a date the package's own way ('June "
    "2010' -> 2010-06-01). The issue's target (mean F1 >= 0.95 from 3 samples) is read here.")


def _score(package: dict, pages: dict[str, str], truth: dict, names: dict[str, str],
           verbose: bool) -> None:
    predicted = {page: _extract(package, html) for page, html in pages.items()}
    rows, means = [], {mode: [] for mode in MODES}
    for attribute in ATTRIBUTES:
        name = names[attribute]
        spec = package["fields"].get(name) or {}
        kind = "date" if "date" in spec.get("transforms", []) else "text"
        row = [attribute, name]
        for mode in MODES:
            right = with_value = with_truth = 0
            for page in pages:
                value, wanted = predicted[page].get(name), truth[attribute].get(page) or []
                with_value += value is not None
                with_truth += bool(wanted)
                ok = value is not None and _right(value, wanted, mode=mode, kind=kind)
                right += ok
                if verbose and mode == "value" and not ok and (value is not None or wanted):
                    print(f"   miss {attribute} {page}: {value!r} vs {wanted!r}")
            p = right / with_value if with_value else 0.0
            r = right / with_truth if with_truth else 0.0
            f1 = 2 * p * r / (p + r) if p + r else 0.0
            means[mode].append(f1)
            row += [p, r, f1]
        rows.append(row)
    print(f"   {'field':<17}{'package':<10}" + "".join(
        f"{mode + ' P':>10}{'R':>7}{'F1':>7}" for mode in MODES))
    for row in rows:
        print(f"   {row[0]:<17}{row[1]:<10}" + "".join(
            f"{v:>10.3f}" if i % 3 == 0 else f"{v:>7.3f}" for i, v in enumerate(row[2:])))
    figures = "   ".join(f"{mode} {sum(means[mode]) / len(means[mode]):.3f}" for mode in MODES)
    print(f"   mean F1: {figures}\n", flush=True)


def _normal(text: str, mode: str) -> str:
    text = " ".join(str(text).lower().split()).rstrip(".,;:")
    return text if mode == "swde" else text.strip(" .,;:-–|")


def _right(value: object, wanted: list[str], *, mode: str, kind: str) -> bool:
    if value is None:
        return False
    values = " ".join(map(str, value)) if isinstance(value, list) else str(value)
    if _normal(values, mode) in {_normal(w, mode) for w in wanted}:
        return True
    if kind == "date" and mode == "value":  # the truth text read as a date the package's way
        return any(apply_transform(Transform("date"), _normal(w, mode), "") == values
                   for w in wanted)
    return False


def _truth(attribute: str) -> dict[str, list[str]]:
    lines = (CORPUS / "truth" / f"{attribute}.txt").read_text(encoding="utf-8-sig").splitlines()
    found = {}
    for line in lines[2:]:
        parts = line.split("\t")
        values = [v for v in parts[2:] if v and v != "<NULL>"]
        found[parts[0]] = values
    return found


def _page(page: str) -> str:
    raw = gzip.decompress((CORPUS / "html" / f"{page}.htm.gz").read_bytes())
    for encoding in ("utf-8", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def _field_names() -> dict[str, str]:
    """Truth attribute → the field name the builder gives it (publication_date is read as
    ``date``)."""
    fields = wanted_fields(OBJECTIVE)
    names = {}
    for attribute in ATTRIBUTES:
        match = next((f for f in fields if attribute in (f.name, f.description)), None)
        names[attribute] = match.name if match else attribute
    return names


if __name__ == "__main__":
    main()
