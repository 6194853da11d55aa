"""What SEO reports add to an audit: keyword research, CSV imports and the report exports.

    .venv/bin/python bench/seo_reports.py                  # 5,000 rankings rows, 2,000 backlinks
    .venv/bin/python bench/seo_reports.py --rankings 20000 --backlinks 5000 --no-pdf

Printed:

- the CPU time of ``extract_keywords`` (which every audit worker runs on the audited HTML) on the
  largest real article pages of ../shared/corpora/trafilatura-eval, median of 10 runs;
- the import of a generated Search Console export (query, page, date, clicks, impressions, CTR,
  position) and of an Ahrefs backlinks export into a fresh SQLite database: rows per second,
  whole import in one transaction as the page does it;
- rendering one report's HTML, and printing it to PDF with Chromium (the worker's work).
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import tempfile
import time

from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.platform.access import Actor  # noqa: E402
from core.platform.database import open_database  # noqa: E402
from core.seo import imports, report_export, reports  # noqa: E402
from core.seo.keywords import extract_keywords  # noqa: E402
from db.models import SeoReport, User  # noqa: E402

ARTICLES = ROOT.parent / "shared" / "corpora" / "trafilatura-eval" / "cache"


def bench_keywords() -> None:
    print("extract_keywords, CPU ms (median of 10)")
    largest = sorted(ARTICLES.glob("*.html.gz"), key=lambda p: p.stat().st_size, reverse=True)
    for path in largest[:4]:
        html = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
        times = []
        for _ in range(10):
            started = time.process_time()
            found = extract_keywords(html)
            times.append(time.process_time() - started)
        print(f"  {path.name.removesuffix('.html.gz'):<34} {len(html) / 1024:6.0f} KiB "
              f"{statistics.median(times) * 1000:8.1f} ms   top: {found[0].keyword!r}")


def rankings_csv(rows: int) -> bytes:
    lines = ["query,page,date,clicks,impressions,ctr,position"]
    start = date(2026, 1, 1)
    for i in range(rows):
        day = start + timedelta(days=i % 90)
        lines.append(f"keyword {i // 90},https://shop.example/p/{i % 50},{day.isoformat()},"
                     f"{i % 40},{100 + i % 900},{(i % 40) / (100 + i % 900):.4f},"
                     f"{1 + (i % 300) / 10:.1f}")
    return ("\n".join(lines) + "\n").encode()


def backlinks_csv(rows: int) -> bytes:
    lines = ["Referring page URL\tDomain rating\tUR\tTarget URL\tAnchor\tNofollow\t"
             "First seen\tLast seen"]
    for i in range(rows):
        lines.append(f"https://site{i % 400}.example/post/{i}\t{i % 90}\t{i % 30}\t"
                     f"https://shop.example/p/{i % 50}\tanchor {i}\t{'true' if i % 3 else 'false'}"
                     f"\t2026-01-{1 + i % 28:02d}\t2026-11-{1 + i % 28:02d}")
    return ("\n".join(lines) + "\n").encode("utf-16")


def bench_imports(n_rankings: int, n_backlinks: int, folder: Path) -> tuple[object, Actor]:
    database = open_database(f"sqlite:///{folder / 'bench.db'}")
    with database.transaction() as session:
        user = User(email="bench@example.com", name="Bench", role="analyst", password_hash="x")
        session.add(user)
        session.flush()
        actor = Actor(id=user.id, email=user.email, name=user.name, role=user.role)
    for label, data, run in (
            ("rankings (Search Console)", rankings_csv(n_rankings),
             lambda s, d: imports.import_rankings(s, actor, d)),
            ("backlinks (Ahrefs, UTF-16)", backlinks_csv(n_backlinks),
             lambda s, d: imports.import_backlinks(s, actor, d))):
        started = time.perf_counter()
        with database.transaction() as session:
            summary = run(session, data)
        elapsed = time.perf_counter() - started
        print(f"  {label:<28} {summary.rows:>7,} rows in {elapsed:6.2f} s = "
              f"{summary.rows / elapsed:8,.0f} rows/s ({len(data) / 1024:,.0f} KiB)")
    return database, actor


def bench_export(database, actor: Actor, pdf: bool, folder: Path) -> None:  # type: ignore[no-untyped-def]
    html = max(ARTICLES.glob("*.html.gz"), key=lambda p: p.stat().st_size)
    from core.seo import audit_response
    from core.seo.serialize import page_audit_to_dict

    page = gzip.decompress(html.read_bytes()).decode("utf-8", errors="replace")
    doc = page_audit_to_dict(audit_response("https://www.example.com/a", "https://www.example.com/a",
                                            200, {"content-type": "text/html"}, page))
    with database.transaction() as session:
        summary = reports.request_audit(session, actor, "https://www.example.com/a", spawn=False)
        row = session.get(SeoReport, summary.id)
        for name, value in reports.report_columns(doc).items():
            setattr(row, name, value)
    started = time.perf_counter()
    with database.transaction() as session:
        text = report_export.report_html(session, actor, summary.id)
    print(f"  report HTML: {len(text) / 1024:,.0f} KiB in "
          f"{(time.perf_counter() - started) * 1000:.1f} ms")
    if pdf:
        started = time.perf_counter()
        report_export.html_to_pdf(text, folder / "report.pdf")
        print(f"  report PDF (Chromium start + print): {(folder / 'report.pdf').stat().st_size / 1024:,.0f}"
              f" KiB in {time.perf_counter() - started:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rankings", type=int, default=5_000)
    parser.add_argument("--backlinks", type=int, default=2_000)
    parser.add_argument("--no-pdf", action="store_true", help="skip the Chromium print")
    args = parser.parse_args()
    bench_keywords()
    with tempfile.TemporaryDirectory() as tmp:
        print("CSV imports into SQLite, one transaction each")
        database, actor = bench_imports(args.rankings, args.backlinks, Path(tmp))
        print("Exports")
        bench_export(database, actor, not args.no_pdf, Path(tmp))
        database.dispose()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()

