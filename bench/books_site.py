"""A books site, listing + detail pages crawled as one job: ScrapeDeck beside Scrapy and a minimal
aiohttp + selectolax crawler; then what `runs start --wait` adds beyond the crawl, and what a
`serve` worker holds in memory.

    .venv/bin/pip install -r requirements-bench.txt      # Scrapy, for the benches only
    .venv/bin/python bench/books_site.py                  # 250 listing + 5,000 detail pages, 3 rounds
    .venv/bin/python bench/books_site.py --listings 50 --rounds 1       # quick look
    .venv/bin/python bench/books_site.py --project /path/to/other/checkout   # "before" figures

In one invocation it

1. generates a books shop (``--listings`` listing pages of 20 books, each with a link to the
   book's own page, and a "next" link to the following listing page; one detail page per book
   with its UPC, stock, category and description in the markup a shop uses; ~21 KB per listing
   page, ~9 KB per detail page; generated here, no corpus page copied) and serves it on
   127.0.0.1 with nginx (or a threaded Python server when nginx is missing; see bench/crawl.py);
2. crawls it ``--rounds`` times with each of three crawlers, alternating (Scrapy, minimal,
   ScrapeDeck, Scrapy, …), each in its own process, every one following the next links from
   page 1 and every book link, reading the same 8 fields and writing the items to SQLite:
   - **Scrapy**: one spider, ``CONCURRENT_REQUESTS`` ``--concurrency``, robots.txt obeyed,
     items to SQLite in batches of 1,000;
   - **minimal**: ``minimal_child`` below, on bench/crawl.py's ``minimal_crawl``: aiohttp,
     selectolax, ``--concurrency`` workers on one queue, items to SQLite in batches of 1,000 —
     what the machine allows;
   - **ScrapeDeck**: a fresh SQLite database with a user, a strict JSON Schema and ONE job (a
     container package with ``next_button`` pagination and a ``detail`` section that follows
     each book's link), one queued run, executed by the worker process itself
     (``python -m core.worker run RUN_ID``: start-up and imports included in its CPU);
   - **warm**: the same ScrapeDeck run, queued for a ``python -m core.worker serve`` started
     beforehand (as the app starts one; `python -m core runs start` forks its worker from a
     process that has the same imports done), which executes it in a fork of itself: its CPU
     is what serve and its children (the fork, its parse process) spent from the queueing to
     the run's end; its memory, serve's high-water mark and what the fork held of its own;
3. prints pages/s over the crawl and the process's CPU seconds (user + system, imports included)
   for each, medians of the rounds, beside the goals: pages/s ≥ 5 × Scrapy and ≥ ½ × minimal,
   CPU ≤ 2.5 s;
4. measures `python -m core --user … runs start JOB --wait` on a small job (one listing page and
   its 20 books), ``--rounds`` times each way: cold (``SCRAPEDECK_WARM_COMMANDS=0``: the command
   runs in its own process and, with ``EXECUTOR=local``, forks the run's worker) and warm (a
   ``python -m core.worker serve`` is up: its command server runs the command, the serve worker
   takes the run from the queue, ``EXECUTOR=queue``); the overhead is
   the command's wall time minus the run's own crawl (started → finished), and where it goes:
   the command's start-up until it inserts the run, from then until a worker starts it, from the
   run's end until the command exits. Goal ≤ 0.5 s;
5. reads the ``serve`` worker's memory (VmRSS) idle after start and after it executed runs, and
   its high-water mark (VmHWM). Goal ≤ 120 MB. Beside it, the private memory of its command
   server (what it does not share with serve).

The machine is shared: figures are medians of alternating rounds, and the load average is
printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import crawl  # noqa: E402  (the server and the measured child process are shared with it)

BOOKS_PER_PAGE = 20
ITEM_FIELDS = ("title", "url", "price", "availability", "upc", "stock", "category", "description")

# --- The ScrapeDeck job ------------------------------------------------------------------------

PACKAGE: dict[str, Any] = {
    "version": 1,
    "container": "article.product_pod",
    "fields": {
        "title": {"selector": "h3 a", "take": "attr", "attribute": "title", "required": True},
        "url": {"selector": "h3 a", "take": "attr", "attribute": "href",
                "transforms": ["absolute_url"], "required": True},
        "price": {"selector": "p.price_color", "transforms": ["price"], "required": True},
        "availability": {"selector": "p.availability", "transforms": ["strip"]},
    },
    "pagination": {"type": "next_button", "selector": "li.next a"},
    "detail": {
        "link": "url",
        "max_pages": 1_000_000,
        "fields": {
            "upc": {"selector": "table.product-info tr.upc td", "transforms": ["strip"]},
            "stock": {"selector": "p.instock", "transforms": ["number"]},
            "category": {"selector": "ul.breadcrumb li.category a", "transforms": ["strip"]},
            "description": {"selector": "div#product_description + p", "transforms": ["strip"]},
        },
    },
}

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["title", "url", "price", "upc"],
    "properties": {
        "title": {"type": "string", "minLength": 1},
        "url": {"type": "string", "pattern": "^https?://"},
        "price": {"type": "number", "minimum": 0},
        "availability": {"type": "string"},
        "upc": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
        "stock": {"type": "number", "minimum": 0},
        "category": {"type": "string"},
        "description": {"type": "string"},
    },
}

# --- The site ----------------------------------------------------------------------------------

CATEGORIES = ["Travel", "Mystery", "Historical Fiction", "Sequential Art", "Classics",
              "Philosophy", "Romance", "Womens Fiction", "Fiction", "Childrens", "Religion",
              "Nonfiction", "Music", "Science Fiction", "Sports and Games", "Fantasy", "Poetry"]
WORDS = ("river night garden silent letter winter house empty secret summer kingdom glass "
         "shadow stone little last song broken light forest city journey memory").split()
RATINGS = ["One", "Two", "Three", "Four", "Five"]


@dataclass(frozen=True)
class Book:
    number: int
    title: str
    slug: str
    price: str
    rating: str
    category: str
    upc: str
    stock: int
    description: str


def make_books(count: int) -> list[Book]:
    rng = random.Random(20261205)
    books = []
    for number in range(1, count + 1):
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 5))).title()
        books.append(Book(
            number, title, f"{title.lower().replace(' ', '-')}_{number}",
            f"£{rng.randint(10, 59)}.{rng.randint(0, 99):02d}", rng.choice(RATINGS),
            rng.choice(CATEGORIES), f"{rng.getrandbits(64):016x}", rng.randint(0, 22),
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(80, 160))).capitalize() + "."))
    return books


def _side(rng: random.Random) -> str:
    """The category menu and the header a shop repeats on every page (~7 KB)."""
    links = "".join(f'<li><a href="/catalogue/category/{c.lower().replace(" ", "-")}_{n}/index.html">'
                    f"\n  {c} {part}\n</a></li>\n"
                    for n, (c, part) in enumerate((c, p) for p in ("", "Classics", "New", "Sale")
                                                  for c in CATEGORIES))
    promo = " ".join(rng.choice(WORDS) for _ in range(120))
    return f'<ul class="nav nav-list">{links}</ul><div class="promo"><p>{promo}</p></div>'


def _head(title: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en-us"><head><meta charset="utf-8"><title>{title} | Books to Bench</title>
<meta name="viewport" content="width=device-width"><link rel="stylesheet" href="/static/main.css">
</head><body><header class="header"><div class="page_inner"><a href="/index.html">Books to Bench</a>
</div></header>"""


def listing_page(books: list[Book], page: int, pages: int, rng: random.Random) -> str:
    articles = "".join(f"""
<li class="col-xs-6"><article class="product_pod">
  <div class="image_container"><a href="/catalogue/{b.slug}/index.html"><img src="/media/{b.number}.jpg" alt="{b.title}" class="thumbnail"></a></div>
  <p class="star-rating {b.rating}"><i class="icon-star"></i><i class="icon-star"></i></p>
  <h3><a href="/catalogue/{b.slug}/index.html" title="{b.title}">{b.title[:30]}</a></h3>
  <div class="product_price"><p class="price_color">{b.price}</p>
  <p class="instock availability"><i class="icon-ok"></i>
        In stock
  </p><form><button type="submit" class="btn btn-primary">Add to basket</button></form></div>
</article></li>""" for b in books)
    previous = (f'<li class="previous"><a href="/catalogue/page-{page - 1}.html">previous</a></li>'
                if page > 1 else "")
    following = (f'<li class="next"><a href="/catalogue/page-{page + 1}.html">next</a></li>'
                 if page < pages else "")
    return f"""{_head(f"All products | Page {page} of {pages}")}
<div class="container"><ul class="breadcrumb"><li><a href="/index.html">Home</a></li>
<li class="active">All products</li></ul>
<aside class="sidebar">{_side(rng)}</aside>
<section><div class="alert">{pages * BOOKS_PER_PAGE} results - showing {(page - 1) * BOOKS_PER_PAGE + 1} to {page * BOOKS_PER_PAGE}.</div>
<ol class="row">{articles}</ol>
<ul class="pager">{previous}<li class="current">Page {page} of {pages}</li>{following}</ul>
</section></div>
<footer class="footer">{' '.join(rng.choice(WORDS) for _ in range(40))}</footer></body></html>
"""


def detail_page(book: Book, rng: random.Random) -> str:
    return f"""{_head(book.title)}
<div class="container"><aside class="sidebar">{_side(rng)}</aside>
<ul class="breadcrumb"><li><a href="/index.html">Home</a></li>
<li><a href="/catalogue/category/books_1/index.html">Books</a></li>
<li class="category"><a href="/catalogue/category/{book.category.lower().replace(' ', '-')}/index.html">{book.category}</a></li>
<li class="active">{book.title}</li></ul>
<article class="product_page"><div class="row"><div class="col-sm-6"><img src="/media/{book.number}.jpg" alt="{book.title}"></div>
<div class="col-sm-6 product_main"><h1>{book.title}</h1><p class="price_color">{book.price}</p>
<p class="instock availability"><i class="icon-ok"></i>
    In stock ({book.stock} available)
</p><p class="star-rating {book.rating}"><i class="icon-star"></i></p></div></div>
<div id="product_description" class="sub-header"><h2>Product Description</h2></div>
<p>{book.description}</p>
<div class="sub-header"><h2>Product Information</h2></div>
<table class="table table-striped product-info">
<tr class="upc"><th>UPC</th><td>{book.upc}</td></tr><tr><th>Product Type</th><td>Books</td></tr>
<tr><th>Price (excl. tax)</th><td>{book.price}</td></tr><tr><th>Tax</th><td>£0.00</td></tr>
<tr><th>Availability</th><td>In stock ({book.stock} available)</td></tr>
<tr><th>Number of reviews</th><td>0</td></tr></table></article></div>
<footer class="footer">{' '.join(rng.choice(WORDS) for _ in range(40))}</footer></body></html>
"""


def generate_site(root: Path, listings: int) -> tuple[int, int]:
    """The shop under ``root``; (pages, bytes)."""
    books = make_books(listings * BOOKS_PER_PAGE)
    rng = random.Random(7)
    (root / "catalogue").mkdir(parents=True)
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    total = 0
    for page in range(1, listings + 1):
        chunk = books[(page - 1) * BOOKS_PER_PAGE:page * BOOKS_PER_PAGE]
        data = listing_page(chunk, page, listings, rng).encode()
        (root / "catalogue" / f"page-{page}.html").write_bytes(data)
        total += len(data)
    for book in books:
        folder = root / "catalogue" / book.slug
        folder.mkdir()
        data = detail_page(book, rng).encode()
        (folder / "index.html").write_bytes(data)
        total += len(data)
    return listings + len(books), total


# --- Scrapy ------------------------------------------------------------------------------------

def scrapy_child(start: str, concurrency: int, out: str) -> None:
    import scrapy
    from price_parser import Price
    from scrapy.crawler import CrawlerProcess

    out_dir = Path(out)
    timing: dict[str, float] = {}

    SQLitePipeline = crawl.items_pipeline(out_dir, "upc", timing)

    class BooksSpider(scrapy.Spider):
        name = "books"

        async def start(self):  # type: ignore[no-untyped-def]
            timing["opened"] = time.monotonic()
            yield scrapy.Request(start, callback=self.parse)

        def parse(self, response):  # type: ignore[no-untyped-def]
            for book in response.css("article.product_pod"):
                link = book.css("h3 a")
                item = {"title": link.attrib.get("title"),
                        "url": response.urljoin(link.attrib.get("href", "")),
                        "price": Price.fromstring(book.css("p.price_color::text").get("")).amount_float,
                        "availability": " ".join(book.css("p.availability ::text").getall()).strip()}
                yield scrapy.Request(item["url"], callback=self.parse_detail, cb_kwargs={"item": item})
            following = response.css("li.next a::attr(href)").get()
            if following:
                yield response.follow(following, callback=self.parse)

        def parse_detail(self, response, item):  # type: ignore[no-untyped-def]
            stock = crawl._FIRST_NUMBER.search(" ".join(response.css("p.instock ::text").getall()))
            yield {**item,
                   "upc": response.css("table.product-info tr.upc td::text").get("").strip(),
                   "stock": float(stock.group()) if stock else None,
                   "category": response.css("ul.breadcrumb li.category a::text").get("").strip(),
                   "description": response.css("div#product_description + p::text").get("").strip()}

    process = CrawlerProcess(settings={
        "CONCURRENT_REQUESTS": concurrency, "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "DOWNLOAD_DELAY": 0, "RANDOMIZE_DOWNLOAD_DELAY": False, "AUTOTHROTTLE_ENABLED": False,
        "ROBOTSTXT_OBEY": True, "TELNETCONSOLE_ENABLED": False, "LOG_LEVEL": "WARNING",
        "USER_AGENT": "ScrapeDeck-bench (+scrapy)", "ITEM_PIPELINES": {SQLitePipeline: 300},
    }, install_root_handler=True)
    crawler = process.create_crawler(BooksSpider)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats()
    pages = stats.get("response_received_count", 0) - stats.get("robotstxt/response_count", 0)
    (out_dir / "stats.json").write_text(json.dumps(
        {"pages": pages, "crawl_s": timing["closed"] - timing["opened"],
         "errors": stats.get("log_count/ERROR", 0)}))


# --- The minimal crawler: aiohttp + selectolax, what the machine allows -------------------------

def minimal_child(start: str, concurrency: int, out: str) -> None:
    """The minimal crawler (bench/crawl.py's) on the books: each listing page's books and its
    next page, each book's page for the rest of its fields."""
    import re
    from urllib.parse import urljoin

    from selectolax.lexbor import LexborHTMLParser

    number = re.compile(r"\d+(?:\.\d+)?")

    def text(node: Any) -> str:
        return node.text(deep=True).strip() if node is not None else ""

    def listing(url: str, html: str) -> list[tuple[str, dict[str, Any] | None]]:
        tree = LexborHTMLParser(html)
        found: list[tuple[str, dict[str, Any] | None]] = []
        for book in tree.css("article.product_pod"):
            link = book.css_first("h3 a")
            price = number.search(text(book.css_first("p.price_color")).replace(",", ""))
            item = {"title": link.attributes.get("title"),
                    "url": urljoin(url, link.attributes.get("href") or ""),
                    "price": float(price.group()) if price else None,
                    "availability": text(book.css_first("p.availability"))}
            found.append((item["url"], item))
        following = tree.css_first("li.next a")
        if following:
            found.append((urljoin(url, following.attributes["href"]), None))
        return found

    def detail(html: str) -> dict[str, Any]:
        tree = LexborHTMLParser(html)
        stock = number.search(text(tree.css_first("p.instock")))
        return {"upc": text(tree.css_first("table.product-info tr.upc td")),
                "stock": float(stock.group()) if stock else None,
                "category": text(tree.css_first("ul.breadcrumb li.category a")),
                "description": text(tree.css_first("div#product_description + p"))}

    def read(url: str, html: str, item: dict[str, Any] | None
             ) -> tuple[list[tuple[str, Any]], list[dict[str, Any]]]:
        # a listing page comes without an item, a book's page with its book from the listing
        return (listing(url, html), []) if item is None else ([], [{**item, **detail(html)}])

    crawl.minimal_crawl(urljoin(start, "/robots.txt"), [(start, None)], read, concurrency,
                        Path(out), "upc")


# --- ScrapeDeck --------------------------------------------------------------------------------

def setup_child(project: str, out: str, start: str, listings: int, concurrency: int) -> None:
    """In the checkout under test: a fresh database with a user, a schema and the job (and a
    small job for the `runs start` measure); their ids to ``out``/setup.json."""
    sys.path.insert(0, project)

    from core.platform.database import open_database
    from core.scrape.package import parse_package
    from db.models import ScrapingJob

    parse_package(PACKAGE)  # the package the job stores is one the app would accept
    database = open_database()  # DATABASE_URL from the environment, migrated to head
    options = {"max_pages": listings, "concurrency": concurrency, "delay_between_requests": 0,
               "timeout": 30, "respect_robots": True}
    with database.transaction() as session:
        user, schema = crawl.bench_owner(session, "book", SCHEMA)
        jobs = {}
        for name, package, pages in (("books", PACKAGE, listings),
                                     ("small", {**PACKAGE, "pagination": {"type": "none"}}, 1)):
            job = ScrapingJob(user_id=user.id, name=name, target_url=start, target_urls=[start],
                              pagination_type="none", pagination={}, config_package=package,
                              extractor_schema_id=schema.id,
                              options={**options, "max_pages": pages})
            session.add(job)
            session.flush()
            jobs[name] = str(job.id)
    database.dispose()
    Path(out, "setup.json").write_text(json.dumps(jobs))


def queue_run_child(project: str, out: str, job_id: str) -> None:
    sys.path.insert(0, project)
    from core.accounts.users import get_active_actor
    from core.platform.database import open_database
    from core.scraping import runs

    database = open_database(migrate=False)
    with database.transaction() as session:
        actor = get_active_actor(session, "bench@example.com")
        assert actor is not None
        run_id = runs.start_run(session, actor, job_id).id
    Path(out, "run.json").write_text(json.dumps(str(run_id)))


def run_report(database_url: str, run_id: str | None = None) -> dict[str, Any]:
    """The run's figures, read with sqlite3 (no project import in the bench process)."""
    path = database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        where, params = ("WHERE id = ?", (run_id.replace("-", ""),)) if run_id else ("", ())
        row = db.execute(f"SELECT * FROM runs {where} ORDER BY created_at DESC LIMIT 1",
                         params).fetchone()
        if row is None:  # ids stored with dashes
            row = db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        stored = db.execute("SELECT count(*) FROM results WHERE run_id = ?",
                            (row["id"],)).fetchone()[0]
    started, finished = (_when(row["started_at"]), _when(row["finished_at"]))
    return {"status": row["status"], "pages": row["pages_fetched"], "items": stored,
            "errors": row["errors_count"], "crawl_s": finished - started,
            "error": row["error_message"], "meta": row["metadata"],
            "created": _when(row["created_at"]), "started": started, "finished": finished}


def _run_finished(database_url: str, run_id: str) -> bool:
    """Whether the run has ended (one indexed look-up: this polls while the run is measured)."""
    with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
        found = db.execute("SELECT finished_at FROM runs WHERE id = ?",
                           (run_id.replace("-", ""),)).fetchone()
    return found is not None and found[0] is not None


def _when(text: str) -> float:
    """A stored time as a Unix time (SQLite keeps UTC without its zone)."""
    from datetime import datetime, timezone

    moment = datetime.fromisoformat(text)
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


@dataclass
class Round:
    name: str
    pages: int
    items: int
    crawl_s: float
    cpu_s: float
    peak_mb: float
    note: str = ""
    forks_mb: float = 0.0  # warm: the private memory of serve's fork that executed the run

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.crawl_s if self.crawl_s else 0.0


class Bench:
    def __init__(self, workdir: Path, project: Path, base_url: str, listings: int,
                 concurrency: int) -> None:
        self.workdir, self.project, self.base = workdir, project, base_url
        self.listings, self.concurrency = listings, concurrency
        self.start = f"{base_url}/catalogue/page-1.html"
        self.counter = 0
        self.profile: Path | None = None

    def _folder(self, name: str) -> Path:
        self.counter += 1
        folder = self.workdir / f"{self.counter:02d}-{name}"
        folder.mkdir()
        return folder

    def _child(self, mode: str, folder: Path, *args: str) -> crawl.Measured:
        crawl.PROJECT_ROOT = self.project  # the children run in the checkout under test
        return crawl.run_measured([__file__, mode, *args], self.env(folder),
                                  folder / f"{mode.strip('-')}.log")

    def env(self, folder: Path) -> dict[str, str]:
        return {**crawl.app_env(), "DATABASE_URL": f"sqlite:///{folder / 'scrapedeck.db'}",
                "SCRAPEDECK_DATA_DIR": str(folder / "data"), "ALLOW_PRIVATE_ADDRESSES": "1",
                "FETCH_DELAY_SECONDS": "0", "PYTHONPATH": str(self.project),
                "WORKER_POLL_SECONDS": os.environ.get("WORKER_POLL_SECONDS", "1")}

    def other(self, name: str) -> Round:
        folder = self._folder(name)
        mode = "--scrapy-child" if name == "Scrapy" else "--minimal-child"
        measured = self._child(mode, folder, self.start, str(self.concurrency), str(folder))
        stats = json.loads((folder / "stats.json").read_text())
        with sqlite3.connect(folder / "items.db") as db:
            items = db.execute("SELECT count(*) FROM items").fetchone()[0]
        return Round(name, stats["pages"], items, stats["crawl_s"], measured.cpu_s,
                     measured.peak_rss_mb, f"{stats['errors']} errors")

    def setup(self, folder: Path) -> dict[str, str]:
        measured = self._child("--setup-child", folder, str(self.project), str(folder),
                               self.start, str(self.listings), str(self.concurrency))
        if measured.returncode:
            raise RuntimeError((folder / "setup-child.log").read_text()[-3000:])
        return dict(json.loads((folder / "setup.json").read_text()))

    def scrapedeck(self) -> Round:
        folder = self._folder("scrapedeck")
        jobs = self.setup(folder)
        env = {**self.env(folder), "EXECUTOR": "queue"}
        subprocess.run([sys.executable, __file__, "--queue-run-child", str(self.project),
                        str(folder), jobs["books"]], env=env, cwd=self.project, check=True)
        run_id = json.loads((folder / "run.json").read_text())
        crawl.PROJECT_ROOT = self.project
        if self.profile is not None:  # py-spy's flame graph input, for finding where time goes
            spy = Path(sys.executable).with_name("py-spy")
            started = time.monotonic()
            subprocess.run([str(spy), "record", "--format", "raw", "--rate", "250", "--output",
                            str(self.profile / f"scrapedeck-{self.counter}.txt"), "--",
                            sys.executable, "-m", "core.worker", "run", run_id], env=env,
                           cwd=self.project, check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            measured = crawl.Measured(0, time.monotonic() - started, 0.0, float("nan"))
        else:
            measured = crawl.run_measured(["-m", "core.worker", "run", run_id], env,
                                          folder / "worker.log")
        run = run_report(env["DATABASE_URL"], run_id)
        helpers = measured.children_private_mb
        return Round("ScrapeDeck", run["pages"], run["items"], run["crawl_s"], measured.cpu_s,
                     measured.peak_rss_mb, f"run {run['status']}, {run['errors']} errors "
                     f"{run['error'] or ''}".strip()
                     + (f"; its parse process held {helpers:.0f} MB of its own" if helpers else ""))

    def scrapedeck_warm(self) -> Round:
        """The same run, executed by a warm ``serve`` worker (started, its imports done and
        frozen, before the run is queued): its CPU is what the serve process and its children
        (the parse process, reaped at the crawl's end) spent from the queueing to the run's end,
        a few polls of the queue included."""
        folder = self._folder("scrapedeck-warm")
        jobs = self.setup(folder)
        env = {**self.env(folder), "EXECUTOR": "queue"}
        with open(folder / "serve.log", "wb") as log:
            serve = subprocess.Popen([sys.executable, "-m", "core.worker", "serve"], env=env,
                                     cwd=self.project, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_for(lambda: b"serving" in (folder / "serve.log").read_bytes(), 60)
            time.sleep(1.0)  # through its first round and its command server's start
            servers = tuple(crawl.child_pids(serve.pid))  # its command server
            before = _cpu_s(serve.pid)
            subprocess.run([sys.executable, __file__, "--queue-run-child", str(self.project),
                            str(folder), jobs["books"]], env=env, cwd=self.project, check=True)
            run_id = json.loads((folder / "run.json").read_text())
            forks = [0.0]  # the run's fork and its parse process: what they hold of their own
            smaps_due = crawl.every(crawl.SMAPS_SECONDS)  # not at every poll: see there

            def finished() -> bool:
                if smaps_due():
                    forks[0] = max(forks[0], crawl.children_private_mb(serve.pid, servers, True))
                return _run_finished(env["DATABASE_URL"], run_id)
            _wait_for(finished, 600)
            # and its fork reaped: its CPU counts in serve's children's from then on
            _wait_for(lambda: not set(crawl.child_pids(serve.pid)) - set(servers), 60)
            cpu = _cpu_s(serve.pid) - before
            peak = _status_mb(serve.pid, "VmHWM:")
        finally:
            serve.terminate()
            serve.wait(30)
        run = run_report(env["DATABASE_URL"], run_id)
        return Round("warm", run["pages"], run["items"], run["crawl_s"], cpu, peak,
                     f"run {run['status']}, {run['errors']} errors {run['error'] or ''}".strip()
                     + f"; serve's fork for it and its parse process held at most "
                       f"{forks[0]:.0f} MB of their own", forks[0])

    def wait_overhead(self, executor: str, serve: subprocess.Popen[bytes] | None,
                      folder: Path, jobs: dict[str, str]) -> tuple[float, float, dict[str, Any]]:
        """(command wall s, overhead s, run) of one `runs start --wait` of the small job."""
        # cold: the command in a process of its own; warm: a serve worker's command server runs
        # it (core/platform/command_server.py), and the run is the serve worker's
        env = {**self.env(folder), "EXECUTOR": executor,
               "SCRAPEDECK_WARM_COMMANDS": "1" if executor == "queue" else "0"}
        launched = time.time()  # beside the run's stored times, for the breakdown below
        started = time.monotonic()
        process = subprocess.Popen([sys.executable, "-m", "core", "--user", "bench@example.com",
                                    "runs", "start", jobs["small"], "--wait"], env=env,
                                   cwd=self.project, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)  # the command's own CPU (not its worker's)
        wall = time.monotonic() - started
        ended = time.time()
        output = process.stdout.read().decode(errors="replace") if process.stdout else ""
        if os.waitstatus_to_exitcode(status):
            raise RuntimeError(f"runs start --wait failed: {output[-3000:]}")
        run = run_report(env["DATABASE_URL"])
        run["cli_cpu_s"] = usage.ru_utime + usage.ru_stime
        # Where the overhead goes (the three add up to it, give or take the two clocks): the
        # command's start-up until it inserts the run (its imports, opening the database, the
        # start checks), from then until a worker marks the run started (the commit, the claim;
        # a cold worker's own start-up), and from the run's end until the command has exited.
        run["parts"] = (run["created"] - launched, run["started"] - run["created"],
                        ended - run["finished"])
        return wall, wall - run["crawl_s"], run


def _parts(parts: tuple[float, ...]) -> str:
    before, to_start, after = parts
    return f"start-up to queued {before:.2f}, to started {to_start:.2f}, end to exit {after:.2f}"


def _cpu_s(pid: int) -> float:
    """User + system CPU of ``pid`` and of its children it has reaped, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _wait_for(condition: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out")
        time.sleep(0.05)


def _status_mb(pid: int, key: str) -> float:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(key)) / 1024


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listings", type=int, default=250, help="listing pages (20 books each)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=("all", "crawl", "cli"), default="all",
                        help="crawl: the three crawlers only; cli: runs start and serve only")
    parser.add_argument("--skip", action="append", default=[],
                        choices=("Scrapy", "minimal", "ScrapeDeck", "warm"),
                        help="leave out an anchor or one of ScrapeDeck's two runs (quick checks)")
    parser.add_argument("--project", type=Path, default=crawl.PROJECT_ROOT,
                        help="the ScrapeDeck checkout to measure (default: this one)")
    parser.add_argument("--profile", type=Path, default=None, metavar="DIR",
                        help="run ScrapeDeck's worker under py-spy; raw stacks into DIR")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    project = args.project.resolve()

    workdir = Path(tempfile.mkdtemp(prefix="scrapedeck-books-bench-"))
    ok = True
    try:
        pages, size = generate_site(workdir / "site", args.listings)
        print(f"Site: {args.listings} listing + {args.listings * BOOKS_PER_PAGE} detail pages "
              f"= {pages} pages, {size / pages / 1024:.1f} KB per page on average; "
              f"ScrapeDeck from {project}")
        with crawl.Server(workdir, workdir / "site") as server:
            bench = Bench(workdir, project, server.base_url, args.listings, args.concurrency)
            bench.profile = args.profile
            print(f"Served by {server.kind}; concurrency {args.concurrency}; load average "
                  f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
            if args.only in ("all", "crawl"):
                ok = crawl_section(bench, args, pages) and ok
            if args.only in ("all", "cli"):
                ok = cli_section(bench, args) and ok
    finally:
        if args.keep:
            print(f"(kept {workdir})")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ok else 1


def crawl_section(bench: Bench, args: argparse.Namespace, pages: int) -> bool:
    names = [n for n in ("Scrapy", "minimal", "ScrapeDeck", "warm") if n not in args.skip]
    rounds: dict[str, list[Round]] = {n: [] for n in names}
    for number in range(1, args.rounds + 1):
        for name in names:
            result = (bench.scrapedeck() if name == "ScrapeDeck" else bench.scrapedeck_warm()
                      if name == "warm" else bench.other(name))
            rounds[name].append(result)
            print(f"  round {number} {name:10} {result.pages:5d} pages {result.items:5d} items "
                  f"{result.crawl_s:6.2f} s {result.pages_per_s:6.0f} pages/s  CPU "
                  f"{result.cpu_s:5.2f} s  peak {result.peak_mb:4.0f} MB  {result.note}",
                  flush=True)
    print(f"\nBooks site, {pages} pages as one crawl, medians of {args.rounds} alternating rounds "
          f"(load average now {os.getloadavg()[0]:.1f}):")
    print(f"{'':11} {'pages/s':>8} {'CPU s':>6} {'peak MB':>8}")
    med = {n: (_median([r.pages_per_s for r in rs]), _median([r.cpu_s for r in rs]),
               _median([r.peak_mb for r in rs])) for n, rs in rounds.items()}
    for name, (rate, cpu, peak) in med.items():
        print(f"{name:11} {rate:8.0f} {cpu:6.2f} {peak:8.0f}")
    ok = all(r.items == pages - bench.listings and r.pages == pages
             for rs in rounds.values() for r in rs)
    if not ok:
        print("!! a crawler did not fetch every page or store every book (see the rounds)")
    for name, how in (("ScrapeDeck", "a worker process of its own (imports included)"),
                      ("warm", "a warm serve worker")):
        if name in med:
            print(f"the run in {how}:")
            _goals(med[name][0], med[name][1], med)
    if "warm" in med:
        forks = _median([r.forks_mb for r in rounds["warm"]])
        print(f"  serve's high-water mark after the crawl: {med['warm'][2]:.0f} MB (goal ≤ 120 MB: "
              f"{crawl.met(med['warm'][2] <= 120)}); the fork of serve that executed "
              f"it held {forks:.0f} MB of its own (its parse process included), gone with it")
    return ok


def _goals(rate: float, cpu: float, med: dict[str, tuple[float, float, float]]) -> None:
    if "Scrapy" in med:
        print(f"  goal pages/s ≥ 5 × Scrapy: x{rate / med['Scrapy'][0]:.2f} "
              f"({crawl.met(rate >= 5 * med['Scrapy'][0])})")
    if "minimal" in med:
        print(f"  goal within 2 × of the minimal crawler: minimal / ScrapeDeck "
              f"x{med['minimal'][0] / rate:.2f} "
              f"({crawl.met(2 * rate >= med['minimal'][0])})")
    print(f"  goal CPU ≤ 2.5 s: {cpu:.2f} s ({crawl.met(cpu <= 2.5)})")
    if "minimal" in med:  # the goal's anchors: 2.5 s where the minimal crawler took 1.6 s
        ratio = cpu / med["minimal"][1]
        print(f"  CPU beside the minimal crawler's: x{ratio:.2f} (the goal's anchors: "
              f"2.5 s / 1.6 s = x{2.5 / 1.6:.2f}: {crawl.met(ratio <= 2.5 / 1.6)})")


def cli_section(bench: Bench, args: argparse.Namespace) -> bool:
    print("\n`runs start --wait` on one listing page and its 20 books, and the serve worker:")
    figures: dict[str, list[tuple[float, float]]] = {"local": [], "queue": []}
    parts: dict[str, list[tuple[float, float, float]]] = {"local": [], "queue": []}
    cli_cpu: dict[str, list[float]] = {"local": [], "queue": []}
    folder = bench._folder("cli")
    jobs = bench.setup(folder)
    env = {**bench.env(folder), "EXECUTOR": "queue"}
    serve = subprocess.Popen([sys.executable, "-m", "core.worker", "serve"], env=env,
                             cwd=bench.project, stdout=subprocess.DEVNULL,
                             stderr=open(folder / "serve.log", "wb"))
    try:
        time.sleep(3)  # started and through its first round
        idle = _status_mb(serve.pid, "VmRSS:")
        for number in range(1, args.rounds + 1):
            for executor in ("local", "queue"):
                if executor == "local":
                    serve.send_signal(signal.SIGSTOP)  # the cold worker alone takes the run
                try:
                    wall, overhead, run = bench.wait_overhead(executor, serve, folder, jobs)
                finally:
                    if executor == "local":
                        serve.send_signal(signal.SIGCONT)
                figures[executor].append((wall, overhead))
                parts[executor].append(run["parts"])
                cli_cpu[executor].append(run["cli_cpu_s"])
                print(f"  round {number} EXECUTOR={executor:5} wall {wall:5.2f} s, crawl "
                      f"{run['crawl_s']:5.2f} s ({run['pages']} pages, {run['status']}), "
                      f"overhead {overhead:5.2f} s ({_parts(run['parts'])}); the command's own "
                      f"CPU {run['cli_cpu_s']:.2f} s", flush=True)
        after, peak = _status_mb(serve.pid, "VmRSS:"), _status_mb(serve.pid, "VmHWM:")
        servers = crawl.children_private_mb(serve.pid)  # its command server
    finally:
        serve.terminate()
        serve.wait(10)
    for executor, label in (("local", "cold: own process, forked worker"),
                            ("queue", "warm: serve's command server + worker")):
        overhead = _median([o for _, o in figures[executor]])
        medians = tuple(_median(list(part)) for part in zip(*parts[executor]))
        print(f"  {label:40} overhead beyond the crawl {overhead:5.2f} s (goal ≤ 0.5 s: "
              f"{crawl.met(overhead <= 0.5)}); medians: {_parts(medians)}")
    print(f"  the `runs start --wait` process's own CPU (start-up, imports, waiting), medians: "
          f"cold {_median(cli_cpu['local']):.2f} s, warm {_median(cli_cpu['queue']):.2f} s (the "
          "command's work is its server's child's then)")
    print(f"  serve worker RSS: idle {idle:.0f} MB, after {2 * args.rounds} runs {after:.0f} MB, "
          f"high-water {peak:.0f} MB (goal ≤ 120 MB: {crawl.met(peak <= 120)}); "
          f"its command server's own memory (private pages; the rest it shares with serve): "
          f"{servers:.0f} MB")
    return True


if __name__ == "__main__":
    modes = {"--scrapy-child": lambda a: scrapy_child(a[0], int(a[1]), a[2]),
             "--minimal-child": lambda a: minimal_child(a[0], int(a[1]), a[2]),
             "--setup-child": lambda a: setup_child(a[0], a[1], a[2], int(a[3]), int(a[4])),
             "--queue-run-child": lambda a: queue_run_child(a[0], a[1], a[2]),
             "--serve-python": lambda a: crawl.serve_python(a[0], int(a[1]))}
    if len(sys.argv) > 1 and sys.argv[1] in modes:
        modes[sys.argv[1]](sys.argv[2:])
    else:
        sys.exit(main())
