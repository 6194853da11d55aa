"""SEO site-crawl speed and memory: a generated 1,000-page local site crawled by the worker.

    .venv/bin/python bench/seo_crawl.py                      # 1,000 pages, concurrency 16
    .venv/bin/python bench/seo_crawl.py --pages 2000 --concurrency 16 --no-audit

In one invocation it

1. generates a shop in a temporary folder: a home page linking every list page, list pages of
   10 products each (``bench/crawl.py``'s catalog pages, ~14 KB with navigation, descriptions and
   footer) and one page per product (~4 KB, linking back and to five related products), plus a
   robots.txt naming a sitemap.xml of every product; the catalog's category, about, contact and
   terms links are left missing on purpose (404s: broken links to find);
2. serves it on 127.0.0.1 with nginx when installed, else a threaded Python server with
   TCP_NODELAY (``bench/crawl.py``'s ``Server``);
3. queues a crawl with ``core.seo.crawls.start_crawl`` (delay 0, the given concurrency,
   robots.txt obeyed, the page audit on every page unless ``--no-audit``) in a fresh SQLite
   database and runs the real worker process, ``python -m core.worker seo-crawl CRAWL_ID``;
4. prints pages/s over the crawl (first request to the last page; the findings and the final
   write follow), the worker's wall and CPU time, its peak RSS, the findings found, and whether
   the target of 50 pages/s was met.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawl import (  # noqa: E402  (bench/crawl.py: the catalog page generator and the servers)
    PRODUCTS_PER_PAGE, WORDS, Server, _page, app_env, run_measured)

TARGET_PAGES_PER_S = 50


def _product_page(rng: random.Random, number: int, list_page: int, products: int) -> str:
    related = " ".join(f'<li><a href="/product/{rng.randint(PRODUCTS_PER_PAGE, products)}.html">'
                       f"Related {i}</a></li>" for i in range(5))
    text = " ".join(rng.choice(WORDS) for _ in range(300))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Product {number} | Bench Shop</title>
<meta name="description" content="Product {number}: {' '.join(rng.choice(WORDS) for _ in range(12))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="canonical" href="/product/{number}.html"></head><body>
<header><a href="/">Bench Shop</a></header>
<main><h1>Product {number}</h1><img src="/img/{number}.jpg" alt="Product {number}">
<p>{text}</p><h2>Related</h2><ul>{related}</ul>
<a href="/list/{list_page}.html">Back to the list</a></main>
<footer><p>© Bench Shop</p></footer></body></html>
"""


def generate_seo_site(root: Path, pages: int) -> tuple[int, int]:
    """About ``pages`` pages: (list pages, product pages) written under ``root``."""
    lists = max(1, pages // (PRODUCTS_PER_PAGE + 1))
    products = lists * PRODUCTS_PER_PAGE
    rng = random.Random(20261130)
    (root / "list").mkdir(parents=True)
    (root / "product").mkdir()
    links = " ".join(f'<a href="/list/{p}.html">Page {p}</a>' for p in range(1, lists + 1))
    (root / "index.html").write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Bench Shop</title>'
        '<meta name="description" content="Every product of the bench shop.">'
        f"</head><body><h1>Bench Shop</h1><nav>{links}</nav></body></html>")
    for page in range(1, lists + 1):
        (root / "list" / f"{page}.html").write_text(_page(rng, page, lists))
        for i in range(PRODUCTS_PER_PAGE):
            number = page * PRODUCTS_PER_PAGE + i
            (root / "product" / f"{number}.html").write_text(
                _product_page(rng, number, page, products + PRODUCTS_PER_PAGE - 1))
    return lists, products


def write_sitemap(root: Path, base_url: str, lists: int) -> None:
    locs = "".join(f"<url><loc>{base_url}/product/{page * PRODUCTS_PER_PAGE + i}.html</loc></url>"
                   for page in range(1, lists + 1) for i in range(PRODUCTS_PER_PAGE))
    (root / "sitemap.xml").write_text(
        f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{locs}</urlset>")
    (root / "robots.txt").write_text(f"User-agent: *\nAllow: /\nSitemap: {base_url}/sitemap.xml\n")


def queue_crawl(workdir: Path, base_url: str, pages: int, concurrency: int,
                audit: bool) -> tuple[str, str, dict[str, str]]:
    """A fresh database, a user and one queued crawl: (database URL, crawl id, worker env)."""
    os.environ.update(EXECUTOR="queue", ALLOW_PRIVATE_ADDRESSES="1")
    from core.platform.database import open_database
    from core.accounts.passwords import hash_password
    from core.seo import crawls
    from core.platform.settings import get_settings
    from core.accounts.users import actor_of
    from db.models import User

    get_settings.cache_clear()
    data_dir = workdir / "scrapedeck"
    url = f"sqlite:///{data_dir / 'scrapedeck.db'}"
    database = open_database(url)
    with database.transaction() as session:
        user = User(email="bench@example.com", name="bench", role="analyst",
                    password_hash=hash_password("bench-password-1"))
        session.add(user)
        session.flush()
        crawl = crawls.start_crawl(session, actor_of(user), f"{base_url}/", pages,
                                   {"delay": 0, "concurrency": concurrency, "audit": audit})
    database.dispose()
    env = {**app_env(), "DATABASE_URL": url, "SCRAPEDECK_DATA_DIR": str(data_dir),
           "FETCH_DELAY_SECONDS": "0", "SEO_CRAWL_MAX_PAGES": str(max(pages, 5000))}
    return url, str(crawl.id), env


def read_outcome(url: str, crawl_id: str) -> dict[str, object]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        status, pages, summary = connection.execute(text(
            "SELECT status, pages_crawled, summary FROM seo_crawls WHERE id = :id"),
            {"id": crawl_id.replace("-", "")}).one()
        findings = connection.execute(text(
            "SELECT finding_id, url_group, urls FROM seo_crawl_findings WHERE crawl_id = :id"),
            {"id": crawl_id.replace("-", "")}).all()
    engine.dispose()
    import json

    return {"status": status, "pages": pages,
            "summary": json.loads(summary) if isinstance(summary, str) else summary,
            "findings": [(f, g, len(json.loads(u) if isinstance(u, str) else u))
                         for f, g, u in findings]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=1000, help="pages to crawl")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--no-audit", action="store_true", help="skip the page audit per page")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="scrapedeck-seo-crawl-bench-"))
    try:
        site = workdir / "site"
        lists, products = generate_seo_site(site, args.pages)
        with Server(workdir, site) as server:
            write_sitemap(site, server.base_url, lists)
            print(f"Site: 1 home, {lists} list pages, {products} product pages, served by "
                  f"{server.kind} at {server.base_url}; crawl of up to {args.pages} pages, "
                  f"concurrency {args.concurrency}, no delay, page audit "
                  f"{'off' if args.no_audit else 'on'}")
            url, crawl_id, env = queue_crawl(workdir, server.base_url, args.pages,
                                             args.concurrency, not args.no_audit)
            measured = run_measured(["-m", "core.worker", "seo-crawl", crawl_id], env,
                                    workdir / "worker.log")
        outcome = read_outcome(url, crawl_id)
    finally:
        if args.keep:
            print(f"(kept {workdir})")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    summary = outcome["summary"]
    rate = summary.get("pages_per_second") or 0.0
    print(f"Crawl {outcome['status']}: {outcome['pages']} pages in {summary.get('seconds')} s "
          f"= {rate} pages/s (target ≥ {TARGET_PAGES_PER_S})")
    print(f"Worker process: wall {measured.wall_s:.1f} s (start-up, findings and the final write "
          f"included), CPU {measured.cpu_s:.1f} s, peak RSS {measured.peak_rss_mb:.0f} MB")
    print(f"Findings: {', '.join(f'{f} {g} ({n})' for f, g, n in outcome['findings'])}")
    print(f"Average page score: {summary.get('average_score')}; not checked: "
          f"{'; '.join(summary.get('not_checked', [])) or 'nothing'}")
    ok = outcome["status"] == "completed" and measured.returncode == 0
    print("OK" if ok and rate >= TARGET_PAGES_PER_S else "BELOW TARGET" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
