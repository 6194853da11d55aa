"""Crawl speed and memory: ScrapeDeck against Scrapy on the same generated site.

    .venv/bin/pip install -r requirements-bench.txt      # Scrapy, for this bench only
    .venv/bin/python bench/crawl.py                       # 5,000 pages, concurrency 16, 3 rounds
    .venv/bin/python bench/crawl.py --rounds 1            # one run of each (quicker, noisier)
    .venv/bin/python bench/crawl.py --pages 1000 --concurrency 16
    .venv/bin/python bench/crawl.py --only scrapedeck     # ScrapeDeck alone (profiling)
    .venv/bin/python bench/crawl.py --cost-overhead --pages 1000   # costs recorded vs not

In one invocation it

1. generates a catalog of ``--pages`` list pages (10 products each: name, price like
   "$1,299.00", rating, link, image, SKU; ~15 KB per page, with the navigation, descriptions and
   footer a real shop page carries) in a temporary folder, and serves it on 127.0.0.1 with nginx
   (a generated config, no daemon, stopped at the end) or, when nginx is missing, with a threaded
   Python server that sets TCP_NODELAY;
2. runs a real ScrapeDeck job over it: a fresh SQLite database, a user, a JSON Schema (strict),
   a job with a container package (7 fields, transforms strip/price/currency/number/absolute_url)
   and ``url_pattern`` pagination over every page, ``runs.start_run`` and then the worker process
   itself, ``python -m core.worker run RUN_ID`` (fetch → extract → validate → dedupe → flush to
   the database every heartbeat), with ALLOW_PRIVATE_ADDRESSES=1 and FETCH_DELAY_SECONDS=0;
3. runs an equivalent Scrapy spider in its own process: the same URLs, CONCURRENT_REQUESTS
   ``--concurrency``, no delay, robots.txt obeyed (as ScrapeDeck does by default), the same fields
   with Scrapy selectors and price-parser, items written to SQLite by a pipeline in batches;
   and a minimal crawler (``minimal_child`` on ``minimal_crawl``: aiohttp, selectolax,
   ``--concurrency`` workers on one queue, the same fields, items to SQLite in batches; what the
   machine allows);
4. does 2 and 3 ``--rounds`` times, alternating (this machine's speed drifts by tens of per cent
   within minutes: one run of each compares two different machines), prints each round's pages/s
   and CPU, and then, for the round with the median pages/s of each crawler: pages/s and
   items/s over the crawl (first request to last write), the whole process's wall time and CPU
   (its child processes' included), peak RSS (the child's own VmHWM at exit), the memory its
   child processes held of their own, RSS sampled over the crawl (flat memory shows as a flat
   row), the ScrapeDeck / Scrapy and ScrapeDeck / minimal ratios, and checks that all stored the
   same number of items. Goals (issue 16): ScrapeDeck ≥ 5 × Scrapy's pages/s, within 2 × of the
   minimal crawler's.

With ``--cost-overhead`` it runs the ScrapeDeck job instead ``--rounds`` times each way,
alternating, each on a fresh database: as shipped (every heartbeat records the run's costs in
the ledger and its daily summaries, charges its credits and checks the budget and the plan) and
with all of that switched off in the worker process (``--worker-without-costs``: the bench's own
child, which replaces those calls with no-ops before running ``core.worker``), and prints the
median crawl time of each and the overhead. Anchor: at most 5 % (issue 11).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))  # core, db: imported where needed, not by the children
PRODUCTS_PER_PAGE = 10

BRANDS = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell", "Soylent",
          "Cyberdyne", "Wonka", "Gringotts"]
KINDS = ["Widget", "Gadget", "Blender", "Kettle", "Headphones", "Lamp", "Backpack", "Drill",
         "Monitor", "Keyboard", "Toaster", "Camera"]
WORDS = ("durable lightweight premium compact ergonomic wireless stainless recycled modular "
         "weatherproof quiet efficient portable adjustable classic handcrafted").split()

# --- The ScrapeDeck job ------------------------------------------------------------------------

PACKAGE: dict[str, Any] = {
    "version": 1,
    "container": "div.product",
    "fields": {
        "name": {"selector": "h2.name", "transforms": ["strip"], "required": True},
        "price": {"selector": "span.price", "transforms": ["price"], "required": True},
        "currency": {"selector": "span.price", "transforms": ["currency"]},
        "rating": {"selector": "span.rating", "transforms": ["number"]},
        "url": {"selector": "h2.name a", "take": "attr", "attribute": "href",
                "transforms": ["absolute_url"], "required": True},
        "image": {"selector": "img.thumb", "take": "attr", "attribute": "src",
                  "transforms": ["absolute_url"]},
        "sku": {"selector": None, "take": "attr", "attribute": "data-sku"},
    },
}

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "price", "url", "sku"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "price": {"type": "number", "minimum": 0},
        "currency": {"type": "string"},
        "rating": {"type": "number", "minimum": 0, "maximum": 5},
        "url": {"type": "string", "pattern": "^https?://"},
        "image": {"type": "string", "pattern": "^https?://"},
        "sku": {"type": "string", "pattern": "^SKU-[0-9]+$"},
    },
}


# --- The site ----------------------------------------------------------------------------------

def _price(rng: random.Random) -> str:
    cents = rng.choice([rng.randint(199, 9999), rng.randint(10_000, 999_999)])
    return f"${cents // 100:,}.{cents % 100:02d}"


def _product(rng: random.Random, number: int) -> str:
    name = f"{rng.choice(BRANDS)} {rng.choice(KINDS)} {number}"
    rating = rng.randint(10, 50) / 10
    stars = "★" * int(rating) + "☆" * (5 - int(rating))
    blurb = " ".join(rng.choice(WORDS) for _ in range(40))
    return f"""
      <div class="product" data-sku="SKU-{number}">
        <a class="image-link" href="/product/{number}.html">
          <img class="thumb" src="/img/{number}.jpg" alt="{name}" width="240" height="240" loading="lazy">
        </a>
        <h2 class="name">
          <a href="/product/{number}.html" title="{name}">  {name}  </a>
        </h2>
        <div class="pricing"><span class="price">{_price(rng)}</span>
          <span class="was">was ${rng.randint(10, 999)}.99</span></div>
        <span class="rating" data-rating="{rating}">{stars} {rating} out of 5</span>
        <p class="description">{blurb}.</p>
        <ul class="badges"><li>Free shipping</li><li>{rng.randint(2, 5)}-year warranty</li></ul>
        <button class="add-to-cart" data-sku="SKU-{number}">Add to cart</button>
      </div>"""


def _page(rng: random.Random, page: int, pages: int) -> str:
    products = "".join(_product(rng, page * PRODUCTS_PER_PAGE + i)
                       for i in range(PRODUCTS_PER_PAGE))
    categories = "".join(f'<li><a href="/category/{k.lower()}.html">{k}s</a></li>' for k in KINDS)
    nav = " ".join(f'<a href="/list/{p}.html">{p}</a>'
                   for p in range(max(1, page - 3), min(pages, page + 3) + 1))
    next_link = f'<a class="next" href="/list/{page + 1}.html">Next</a>' if page < pages else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Catalog page {page} of {pages} | Bench Shop</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/site.css">
<style>body{{font-family:sans-serif;margin:0}} .product{{display:inline-block;width:30%}}
.price{{font-weight:bold}} .was{{text-decoration:line-through;color:#999}}</style>
</head><body>
<header><a class="logo" href="/">Bench Shop</a>
<form action="/search"><input name="q" placeholder="Search products"><button>Search</button></form>
<nav><ul class="categories">{categories}</ul></nav></header>
<main><h1>All products — page {page}</h1>
<section class="products">{products}
</section>
<div class="pagination">{nav} {next_link}</div></main>
<footer><p>© Bench Shop. Prices include VAT. {' '.join(rng.choice(WORDS) for _ in range(60))}</p>
<ul><li><a href="/about.html">About</a></li><li><a href="/contact.html">Contact</a></li>
<li><a href="/terms.html">Terms</a></li></ul></footer>
<script>window.dataLayer = window.dataLayer || []; dataLayer.push({{page: {page}}});</script>
</body></html>
"""


def generate_site(root: Path, pages: int) -> int:
    """Write ``pages`` list pages under ``root/list/`` and a robots.txt; return total bytes."""
    (root / "list").mkdir(parents=True)
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    rng = random.Random(20261101)
    total = 0
    for page in range(1, pages + 1):
        data = _page(rng, page, pages).encode("utf-8")
        (root / "list" / f"{page}.html").write_bytes(data)
        total += len(data)
    return total


def page_urls(base: str, pages: int) -> list[str]:
    return [f"{base}/list/{page}.html" for page in range(1, pages + 1)]


def app_env() -> dict[str, str]:
    """This process's environment for a measured ScrapeDeck process, byte-code caches written
    as an installed app has them: a session that sets PYTHONDONTWRITEBYTECODE would otherwise
    compile the project's sources at every start, and count that in its CPU."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, process: subprocess.Popen[bytes], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {seconds} s")


class Server:
    """nginx when installed, else a threaded Python server (TCP_NODELAY) in a child process."""

    def __init__(self, workdir: Path, site: Path) -> None:
        self.workdir, self.site = workdir, site
        self.port = free_port()
        self.kind = "nginx" if shutil.which("nginx") else "python"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        if self.kind == "nginx":
            conf = self._nginx_conf()
            self.process = subprocess.Popen(
                [shutil.which("nginx") or "nginx", "-p", str(self.workdir), "-c", str(conf),
                 "-e", str(self.workdir / "nginx-error.log")],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        else:
            self.process = subprocess.Popen(
                [sys.executable, __file__, "--serve-python", str(self.site), str(self.port)])
        wait_listening(self.port, self.process)
        return self

    def _nginx_conf(self) -> Path:
        conf = self.workdir / "nginx.conf"
        temp = self.workdir / "nginx-temp"
        temp.mkdir()
        user = "user root;" if os.geteuid() == 0 else ""  # workers must read the temp dir
        conf.write_text(f"""
{user}
worker_processes 1;
daemon off;
pid {self.workdir}/nginx.pid;
error_log {self.workdir}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nodelay on;
    keepalive_timeout 65;
    keepalive_requests 1000000;
    types {{ text/html html; text/plain txt; }}
    default_type application/octet-stream;
    client_body_temp_path {temp}/client;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    server {{
        listen 127.0.0.1:{self.port};
        root {self.site};
    }}
}}
""")
        return conf

    def __exit__(self, *exc_info: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # nginx: fast shutdown; the Python server: exit
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def serve_python(site: str, port: int) -> None:
    import functools
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Handler(SimpleHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a crawler expects

        def setup(self) -> None:
            super().setup()
            # Without it, a response's last small segment waits ~40 ms for a delayed ACK.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), functools.partial(Handler, directory=site))
    server.daemon_threads = True
    server.serve_forever()


# --- Measuring a child process -----------------------------------------------------------------

@dataclass
class Measured:
    returncode: int
    wall_s: float
    peak_rss_mb: float
    cpu_s: float  # user + system, its children's included (ScrapeDeck's parse process)
    samples: list[tuple[float, float]] = field(default_factory=list)  # (seconds, RSS MB)
    # the largest memory its child processes held of their own (private pages: a forked child
    # shares the rest with it), sampled
    children_private_mb: float = 0.0


def _rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


# A process's private memory (smaps) is read every SMAPS_SECONDS only: reading it walks the
# process's page tables under its memory-map lock, which slows the process measured when done
# often (bench/books_site.py: at every 0.05 s, a run in a serve fork read 5-12 % fewer pages/s
# and took up to 0.3 s more CPU).
SMAPS_SECONDS = 0.5


def every(seconds: float) -> Callable[[], bool]:
    """A clock that says True at its first call, then again once ``seconds`` have passed since
    it last did."""
    due = [0.0]

    def now_due() -> bool:
        now = time.monotonic()
        if now < due[0]:
            return False
        due[0] = now + seconds
        return True
    return now_due


def children_private_mb(pid: int, leave_out: tuple[int, ...] = (),
                        descendants: bool = False) -> float:
    """The memory the child processes of ``pid`` (``descendants``: their children too, and so
    on) hold of their own (Private_Clean and Private_Dirty: what a fork shares with its parent
    is counted there, in its RSS), ``leave_out`` and theirs left out."""
    total_kb = 0
    for child in child_pids(pid):
        if child in leave_out:
            continue
        try:
            with open(f"/proc/{child}/smaps_rollup") as rollup:
                total_kb += sum(int(line.split()[1]) for line in rollup
                                if line.startswith(("Private_Clean:", "Private_Dirty:")))
        except OSError:  # it ended meanwhile
            continue
        if descendants:
            total_kb += int(children_private_mb(child, leave_out, True) * 1024)
    return total_kb / 1024


def child_pids(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


# Runs a Python program (``-m module`` or a script path, with its arguments) and, when it exits,
# writes the process's VmHWM (the kernel's high-water mark of its RSS) to the file in argv[1].
# ``ru_maxrss`` from wait4 would not do: a child forked from this (large) bench process inherits
# the parent's high-water mark across exec, so it over-reports small children.
_HWM_WRAPPER = """
import atexit, runpy, sys
out = sys.argv[1]
def _hwm():
    with open('/proc/self/status') as status:
        kb = next(int(line.split()[1]) for line in status if line.startswith('VmHWM:'))
    with open(out, 'w') as f:
        f.write(str(kb))
atexit.register(_hwm)
if sys.argv[2] == '-m':
    sys.argv = [sys.argv[3], *sys.argv[4:]]
    runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)
else:
    sys.argv = sys.argv[2:]
    runpy.run_path(sys.argv[0], run_name='__main__')
"""


def run_measured(program: list[str], env: dict[str, str], log: Path) -> Measured:
    """Run ``python PROGRAM…`` in a child, sampling its RSS every 0.1 s; the peak is the child's
    own VmHWM at exit (so a short spike between two samples is not missed)."""
    started = time.monotonic()
    hwm_file = log.with_suffix(".hwm")
    command = [sys.executable, "-c", _HWM_WRAPPER, str(hwm_file), *program]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, stdout=out,
                                   stderr=subprocess.STDOUT)
    samples: list[tuple[float, float]] = []
    children_peak = [0.0]
    smaps_due = every(SMAPS_SECONDS)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            rss = _rss_mb(process.pid)
            if rss is not None:
                samples.append((time.monotonic() - started, rss))
            if smaps_due():
                children_peak[0] = max(children_peak[0], children_private_mb(process.pid))
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)  # CPU times are the child's own (not its parent's)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    done.set()
    sampler.join()
    try:
        peak = int(hwm_file.read_text()) / 1024
    except (OSError, ValueError):  # it died before atexit: the largest sample is all we have
        peak = max((rss for _, rss in samples), default=0.0)
    return Measured(process.returncode, wall, peak, usage.ru_utime + usage.ru_stime, samples,
                    children_peak[0])


# --- ScrapeDeck --------------------------------------------------------------------------------

@dataclass
class CrawlFigures:
    name: str
    pages: int
    items: int
    crawl_s: float  # first request to last write
    measured: Measured
    errors: int = 0
    note: str = ""

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.crawl_s if self.crawl_s else 0.0

    @property
    def items_per_s(self) -> float:
        return self.items / self.crawl_s if self.crawl_s else 0.0


def bench_owner(session: Any, name: str, definition: dict[str, Any]) -> tuple[Any, Any]:
    """The bench's analyst and a strict extractor schema of theirs: (user, schema)."""
    from core.accounts.passwords import hash_password
    from db.models import ExtractorSchema, User

    user = User(email="bench@example.com", name="bench", role="analyst",
                password_hash=hash_password("bench-password-1"))
    session.add(user)
    session.flush()
    schema = ExtractorSchema(user_id=user.id, family_id=uuid.uuid4(), version=1, name=name,
                             schema_definition=definition, strict_validation=True,
                             allow_extra_fields=False)
    session.add(schema)
    session.flush()
    return user, schema


def setup_scrapedeck(workdir: Path, base_url: str, pages: int, concurrency: int,
                     name: str = "scrapedeck") -> tuple[str, uuid.UUID, dict[str, str]]:
    """A fresh database with a user, a schema, the job and one queued run of it: (database URL,
    run id, the worker's environment)."""
    os.environ["EXECUTOR"] = "queue"  # the bench starts the worker itself, to measure it
    from core.scraping import runs
    from core.platform.database import open_database
    from core.scrape.package import parse_package
    from core.platform.settings import get_settings
    from core.accounts.users import actor_of
    from db.models import ScrapingJob

    get_settings.cache_clear()
    data_dir = workdir / name
    url = f"sqlite:///{data_dir / 'scrapedeck.db'}"
    database = open_database(url)  # fresh file, migrated to head
    parse_package(PACKAGE)  # the package the job stores is one the app would accept
    with database.transaction() as session:
        user, schema = bench_owner(session, "product", SCHEMA)
        actor = actor_of(user)
        first = f"{base_url}/list/1.html"
        job = ScrapingJob(
            user_id=user.id, name="bench catalog", target_url=first, target_urls=[first],
            pagination_type="url_pattern",
            pagination={"pattern": "/list/{page}.html", "first_page": 1, "last_page": pages},
            config_package=PACKAGE, extractor_schema_id=schema.id,
            options={"max_pages": pages, "concurrency": concurrency,
                     "delay_between_requests": 0, "timeout": 30, "respect_robots": True})
        session.add(job)
        session.flush()
        job_id = job.id
    with database.transaction() as session:
        run_id = runs.start_run(session, actor, job_id).id

    database.dispose()
    env = {**app_env(), "DATABASE_URL": url, "SCRAPEDECK_DATA_DIR": str(data_dir),
           "ALLOW_PRIVATE_ADDRESSES": "1", "FETCH_DELAY_SECONDS": "0", "EXECUTOR": "queue",
           "PYTHONPATH": str(PROJECT_ROOT)}
    return url, run_id, env


def run_scrapedeck(workdir: Path, base_url: str, pages: int, concurrency: int,
                   name: str = "scrapedeck", costs: bool = True) -> CrawlFigures:
    from sqlalchemy import func, select

    from core.platform.database import open_database
    from db.models import Result, Run, RunEvent, RunResult

    url, run_id, env = setup_scrapedeck(workdir, base_url, pages, concurrency, name)
    program = ["-m", "core.worker", "run", str(run_id)] if costs else \
        [str(Path(__file__).resolve()), "--worker-without-costs", str(run_id)]
    measured = run_measured(program, env, workdir / f"{name}-worker.log")
    database = open_database(url, migrate=False)
    with database.transaction() as session:
        run = session.get(Run, run_id)
        stored = session.scalar(select(func.count()).select_from(Result)
                                .where(Result.run_id == run_id))
        outcomes = session.scalar(select(func.count()).select_from(RunResult)
                                  .where(RunResult.run_id == run_id))
        events = session.scalar(select(func.count()).select_from(RunEvent)
                                .where(RunEvent.run_id == run_id))
        crawl_s = (run.finished_at - run.started_at).total_seconds()
        note = (f"run {run.status}; {outcomes} url outcome rows, {events} run events, "
                f"{run.errors_count} errors, items invalid {(run.meta or {}).get('items_invalid')}")
        figures = CrawlFigures("ScrapeDeck", run.pages_fetched, stored, crawl_s, measured,
                               run.errors_count, note)
        if run.status != "completed":
            figures.note += f" — {run.error_message}"
    database.dispose()
    return figures


def worker_without_costs(run_id: str) -> int:
    """``core.worker run RUN_ID`` with cost recording switched off: no ledger rows, no daily
    summaries, no credits, no budget or plan checks (the other arm of ``--cost-overhead``)."""
    from decimal import Decimal

    from core import budgets, credits, ledger

    ledger.record = lambda *args, **kwargs: 0  # type: ignore[assignment]
    budgets.after_charge = lambda *args, **kwargs: None  # type: ignore[assignment]
    credits.charge = lambda *args, **kwargs: Decimal(0)  # type: ignore[assignment]
    credits.while_running = lambda *args, **kwargs: None  # type: ignore[assignment]
    credits.settle_run = lambda *args, **kwargs: Decimal(0)  # type: ignore[assignment]
    from core.worker import main as worker_main

    return worker_main(["run", run_id])


COST_OVERHEAD_ANCHOR = 0.05


def cost_overhead(workdir: Path, base_url: str, pages: int, concurrency: int,
                  rounds: int) -> bool:
    times: dict[bool, list[float]] = {True: [], False: []}
    for round_ in range(rounds):
        for costs in ((True, False) if round_ % 2 == 0 else (False, True)):
            name = f"sd-{'costs' if costs else 'nocosts'}-{round_}"
            figures = run_scrapedeck(workdir, base_url, pages, concurrency, name, costs)
            if figures.items != pages * PRODUCTS_PER_PAGE or figures.measured.returncode:
                print(f"!! {name}: {figures.items} items, exit {figures.measured.returncode}: "
                      f"{figures.note}")
                return False
            times[costs].append(figures.crawl_s)
            print(f"  {name}: crawl {figures.crawl_s:.2f} s, {figures.pages_per_s:.0f} pages/s, "
                  f"CPU {figures.measured.cpu_s:.1f} s", flush=True)
    with_costs = sorted(times[True])[len(times[True]) // 2]
    without = sorted(times[False])[len(times[False]) // 2]
    overhead = with_costs / without - 1
    print(f"\nRecording costs (ledger rows, daily summaries, credits, budget and plan checks at "
          f"every heartbeat): median crawl {with_costs:.2f} s with, {without:.2f} s without, "
          f"over {rounds} rounds each: overhead {overhead * 100:+.1f} % "
          f"(anchor <= {COST_OVERHEAD_ANCHOR * 100:.0f} %)")
    return overhead <= COST_OVERHEAD_ANCHOR


# --- Scrapy and the minimal crawler ------------------------------------------------------------

def run_other(crawler: str, workdir: Path, base_url: str, pages: int, concurrency: int,
              name: str) -> CrawlFigures:
    """Scrapy's or the minimal crawler's run (``crawler``: "Scrapy" or "minimal"), in a child
    process running this file, which writes stats.json and items.db in its folder."""
    out = workdir / name
    out.mkdir()
    mode = "--scrapy-child" if crawler == "Scrapy" else "--minimal-child"
    measured = run_measured([__file__, mode, base_url, str(pages), str(concurrency), str(out)],
                            dict(os.environ), workdir / f"{name}.log")
    stats_path = out / "stats.json"
    if not stats_path.exists():
        log = (workdir / f"{name}.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"the {crawler} process wrote no stats (exit {measured.returncode}):"
                           f"\n{log}")
    stats = json.loads(stats_path.read_text())
    with sqlite3.connect(out / "items.db") as db:
        stored = db.execute("SELECT count(*) FROM items").fetchone()[0]
    errors = stats.get("errors", 0)
    note = f"finish reason {stats['finish_reason']}, " if "finish_reason" in stats else ""
    return CrawlFigures(crawler, stats["pages"], stored, stats["crawl_s"], measured, errors,
                        f"{note}{errors} errors")


# The items of Scrapy and of the minimal crawler, here and in bench/books_site.py: SQLite, in
# batches of ITEMS_BATCH rows, one transaction per batch (ScrapeDeck's flusher writes its own).
ITEMS_BATCH = 1000


def open_items_db(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, url TEXT, key TEXT, data TEXT, "
               "created_at REAL)")
    return db


def item_row(item: dict[str, Any], key: str) -> tuple[Any, ...]:
    """An item's row: its URL, its ``key`` field (a SKU, a UPC), its JSON, when."""
    return (item["url"], item.get(key), json.dumps(item, ensure_ascii=False), time.time())


def write_items(db: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    with db:
        db.executemany("INSERT INTO items (url, key, data, created_at) VALUES (?, ?, ?, ?)", rows)


class ItemsPipeline:
    """A Scrapy item pipeline that writes items as the minimal crawler does (``items_pipeline``
    gives it its folder), and notes when the spider closed, its last batch written."""

    out_dir: Path
    key: str
    timing: dict[str, float]

    def open_spider(self, spider: Any) -> None:
        self.db = open_items_db(self.out_dir / "items.db")
        self.batch: list[tuple[Any, ...]] = []

    def process_item(self, item: dict[str, Any], spider: Any) -> dict[str, Any]:
        self.batch.append(item_row(item, self.key))
        if len(self.batch) >= ITEMS_BATCH:
            self._write()
        return item

    def _write(self) -> None:
        write_items(self.db, self.batch)
        self.batch = []

    def close_spider(self, spider: Any) -> None:
        self._write()
        self.db.close()
        self.timing["closed"] = time.monotonic()


def items_pipeline(out_dir: Path, key: str, timing: dict[str, float]) -> type[ItemsPipeline]:
    """The pipeline class to give Scrapy's ITEM_PIPELINES (Scrapy makes the instance)."""
    return type("SQLitePipeline", (ItemsPipeline,), {"out_dir": out_dir, "key": key,
                                                     "timing": timing})


_FIRST_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def scrapy_child(base_url: str, pages: int, concurrency: int, out: str) -> None:
    """The Scrapy side, run in its own process: one spider, one SQLite pipeline."""
    import scrapy
    from price_parser import Price
    from scrapy.crawler import CrawlerProcess

    out_dir = Path(out)
    timing: dict[str, float] = {}

    SQLitePipeline = items_pipeline(out_dir, "sku", timing)

    class CatalogSpider(scrapy.Spider):
        name = "catalog"

        async def start(self):  # type: ignore[no-untyped-def]
            timing["opened"] = time.monotonic()
            for url in page_urls(base_url, pages):
                yield scrapy.Request(url, callback=self.parse)

        def parse(self, response):  # type: ignore[no-untyped-def]
            for product in response.css("div.product"):
                name = " ".join(" ".join(product.css("h2.name ::text").getall()).split())
                price_text = " ".join(product.css("span.price ::text").getall())
                price = Price.fromstring(price_text)
                rating = _FIRST_NUMBER.search(" ".join(product.css("span.rating ::text").getall()))
                item = {
                    "name": name,
                    "price": price.amount_float,
                    "currency": price.currency,
                    "rating": float(rating.group()) if rating else None,
                    "url": response.urljoin(product.css("h2.name a::attr(href)").get("").strip()),
                    "image": response.urljoin(product.css("img.thumb::attr(src)").get("").strip()),
                    "sku": product.attrib.get("data-sku"),
                }
                yield item

    process = CrawlerProcess(settings={
        "CONCURRENT_REQUESTS": concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "DOWNLOAD_DELAY": 0,
        "RANDOMIZE_DOWNLOAD_DELAY": False,
        "AUTOTHROTTLE_ENABLED": False,
        "ROBOTSTXT_OBEY": True,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "USER_AGENT": "ScrapeDeck-bench (+scrapy)",
        "ITEM_PIPELINES": {SQLitePipeline: 300},
    }, install_root_handler=True)
    crawler = process.create_crawler(CatalogSpider)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats()
    result = {
        "pages": stats.get("response_received_count", 0) - stats.get(
            "robotstxt/response_count", 0),
        "errors": stats.get("log_count/ERROR", 0) + stats.get("spider_exceptions", 0),
        "crawl_s": timing["closed"] - timing["opened"],
        "finish_reason": stats.get("finish_reason"),
    }
    (out_dir / "stats.json").write_text(json.dumps(result))


def minimal_child(base_url: str, pages: int, concurrency: int, out: str) -> None:
    """The minimal crawler on the catalog: every list page, the same fields as the others."""
    from urllib.parse import urljoin

    from selectolax.lexbor import LexborHTMLParser

    def text(node: Any) -> str:
        return " ".join(node.text(deep=True).split()) if node is not None else ""

    def attribute(node: Any, name: str) -> str:
        return (node.attributes.get(name) or "").strip() if node is not None else ""

    def products(url: str, html: str, _: None) -> tuple[list[tuple[str, None]], list[Any]]:
        found = []
        for product in LexborHTMLParser(html).css("div.product"):
            price_text = text(product.css_first("span.price"))
            price = _FIRST_NUMBER.search(price_text.replace(",", ""))
            rating = _FIRST_NUMBER.search(text(product.css_first("span.rating")))
            found.append({
                "name": text(product.css_first("h2.name")),
                "price": float(price.group()) if price else None,
                "currency": price_text[:price.start()].strip() or None if price else None,
                "rating": float(rating.group()) if rating else None,
                "url": urljoin(url, attribute(product.css_first("h2.name a"), "href")),
                "image": urljoin(url, attribute(product.css_first("img.thumb"), "src")),
                "sku": product.attributes.get("data-sku")})
        return [], found

    minimal_crawl(f"{base_url}/robots.txt", [(url, None) for url in page_urls(base_url, pages)],
                  products, concurrency, Path(out), "sku")


Read = Callable[[str, str, Any], tuple[list[tuple[str, Any]], list[dict[str, Any]]]]


def minimal_crawl(robots: str, first: list[tuple[str, Any]], read: Read, concurrency: int,
                  out_dir: Path, key: str) -> None:
    """The minimal crawler of both benches, run in its own process. With aiohttp it fetches
    ``robots`` (as the others do), then ``concurrency`` workers take (URL, what its page needs
    to know) from one queue and give each page to ``read(url, html, that)``, which returns the
    pages to fetch next and the items the page completes. Items go to SQLite in batches
    (``key``: their key field), the figures to stats.json in ``out_dir``. No retries, no
    politeness, no checks: what the machine allows."""
    import asyncio

    import aiohttp

    db = open_items_db(out_dir / "items.db")
    batch: list[tuple[Any, ...]] = []
    counts = {"pages": 0, "errors": 0}

    async def main() -> None:
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        for entry in first:
            queue.put_nowait(entry)
        async with aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=concurrency)) as session:
            async with session.get(robots) as response:
                await response.read()  # as the others do; the bench's robots.txt allows all

            async def worker() -> None:
                while True:
                    url, context = await queue.get()
                    try:
                        async with session.get(url) as response:
                            html = await response.text()
                        counts["pages"] += 1
                        following, items = read(url, html, context)
                        for entry in following:
                            queue.put_nowait(entry)
                        batch.extend(item_row(item, key) for item in items)
                        if len(batch) >= ITEMS_BATCH:
                            write_items(db, batch)
                            batch.clear()
                    except (aiohttp.ClientError, TimeoutError):
                        counts["errors"] += 1
                    finally:
                        queue.task_done()

            workers = [asyncio.create_task(worker()) for _ in range(concurrency)]
            await queue.join()
            for task in workers:
                task.cancel()

    opened = time.monotonic()
    asyncio.run(main())
    write_items(db, batch)
    db.close()
    (out_dir / "stats.json").write_text(json.dumps(
        {"pages": counts["pages"], "crawl_s": time.monotonic() - opened,
         "errors": counts["errors"]}))


# --- Report ------------------------------------------------------------------------------------

def rss_profile(measured: Measured, points: int = 10) -> str:
    """RSS at evenly spaced moments of the process's life (MB)."""
    samples = measured.samples
    if not samples:
        return "(no samples)"
    picked = [samples[min(len(samples) - 1, round(i * (len(samples) - 1) / (points - 1)))]
              for i in range(points)]
    return "  ".join(f"{t:5.1f}s:{rss:4.0f}" for t, rss in picked)


def late_growth(measured: Measured) -> float:
    """Highest RSS in the last quarter of the process's life minus the highest in its second
    quarter (MB), so imports and warm-up do not count: a leak grows it, a flat crawl keeps it
    near zero."""
    rss = [r for _, r in measured.samples]
    if len(rss) < 8:
        return 0.0
    quarter = len(rss) // 4
    return max(rss[3 * quarter:]) - max(rss[quarter:2 * quarter])


def _median_round(done: list[CrawlFigures]) -> CrawlFigures:
    return sorted(done, key=lambda figures: figures.pages_per_s)[len(done) // 2]


# The crawlers, in the order each round runs them; --only takes a name in any case.
CRAWLERS = ("ScrapeDeck", "Scrapy", "minimal")
CHOICES = {name.lower(): name for name in CRAWLERS}
# Issue 16: ScrapeDeck's pages/s at least this many times the other crawler's, and the goal's words
GOALS = {"Scrapy": (5.0, ">= x5"), "minimal": (0.5, ">= x0.5, within 2 x of it")}


def met(ok: bool) -> str:
    """A goal's verdict, as every bench prints it."""
    return "met" if ok else "NOT met"


def report(figures: list[CrawlFigures], pages: int) -> bool:
    print()
    print(f"{'':11} {'pages':>6} {'items':>7} {'crawl s':>8} {'pages/s':>8} {'items/s':>8} "
          f"{'wall s':>7} {'CPU s':>6} {'peak RSS':>9}")
    for f in figures:
        print(f"{f.name:11} {f.pages:6d} {f.items:7d} {f.crawl_s:8.2f} {f.pages_per_s:8.0f} "
              f"{f.items_per_s:8.0f} {f.measured.wall_s:7.2f} {f.measured.cpu_s:6.1f} "
              f"{f.measured.peak_rss_mb:6.0f} MB")
    for f in figures:
        print(f"  {f.name}: {f.note}")
        if f.measured.children_private_mb:
            print(f"  {f.name}: its child processes held at most "
                  f"{f.measured.children_private_mb:.0f} MB of their own beside its peak RSS")
    print("\nRSS over each process's life (seconds since start: MB):")
    for f in figures:
        print(f"  {f.name:10} {rss_profile(f.measured)}")
        print(f"  {'':10} growth from the second quarter of its life to the last: "
              f"{late_growth(f.measured):+.0f} MB")
    by_name = {f.name: f for f in figures}
    ours = by_name.get("ScrapeDeck")
    print()
    for name, (least, goal) in GOALS.items():
        theirs = by_name.get(name)
        if ours is None or theirs is None:
            continue
        rate = ours.pages_per_s / theirs.pages_per_s
        print(f"ScrapeDeck / {name}: pages/s x{rate:.2f} (goal {goal}: {met(rate >= least)}), "
              f"items/s x{ours.items_per_s / theirs.items_per_s:.2f}, "
              f"CPU time x{ours.measured.cpu_s / theirs.measured.cpu_s:.2f}, "
              f"peak RSS x{ours.measured.peak_rss_mb / theirs.measured.peak_rss_mb:.2f}")
    counts = ", ".join(f"{f.name} {f.items}" for f in figures)
    ok = len({f.items for f in figures}) == 1
    print(f"Items stored: {counts} ({'same' if ok else 'DIFFERENT'}; "
          f"expected {pages * PRODUCTS_PER_PAGE})")
    for f in figures:
        if f.items != pages * PRODUCTS_PER_PAGE or f.measured.returncode != 0:
            print(f"!! {f.name}: {f.items} items stored, exit {f.measured.returncode}")
            ok = False
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=5000, help="list pages (10 items each)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--only", choices=CRAWLERS, help="one crawler alone (profiling, quick "
                        "checks)", type=lambda name: CHOICES.get(name.lower(), name))
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--cost-overhead", action="store_true",
                        help="ScrapeDeck with cost recording on vs off, instead of Scrapy")
    parser.add_argument("--rounds", type=int, default=3,
                        help="runs of each crawler, alternating (the median is reported)")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="scrapedeck-crawl-bench-"))
    try:
        site = workdir / "site"
        started = time.monotonic()
        size = generate_site(site, args.pages)
        print(f"Site: {args.pages} pages, {args.pages * PRODUCTS_PER_PAGE} products, "
              f"{size / args.pages / 1024:.1f} KB per page on average "
              f"({size / 2**20:.0f} MB), generated in {time.monotonic() - started:.1f} s")
        with Server(workdir, site) as server:
            print(f"Served by {server.kind} at {server.base_url}; concurrency {args.concurrency}, "
                  f"no politeness delay")
            if args.cost_overhead:
                return 0 if cost_overhead(workdir, server.base_url, args.pages,
                                          args.concurrency, args.rounds) else 1
            names = [args.only] if args.only else list(CRAWLERS)
            rounds: dict[str, list[CrawlFigures]] = {name: [] for name in names}
            for number in range(1, args.rounds + 1):  # alternating: the machine's speed drifts
                for name in names:
                    label, where = f"{name.lower()}-{number}", (workdir, server.base_url)
                    rounds[name].append(
                        run_scrapedeck(*where, args.pages, args.concurrency, label)
                        if name == "ScrapeDeck" else
                        run_other(name, *where, args.pages, args.concurrency, label))
                    print(f"  round {number} {name:10} {rounds[name][-1].pages_per_s:6.0f} "
                          f"pages/s CPU {rounds[name][-1].measured.cpu_s:5.1f} s", flush=True)
            figures = [_median_round(done) for done in rounds.values() if done]
        if args.rounds > 1:
            print(f"\nThe round with the median pages/s of {args.rounds}, for each:")
        ok = report(figures, args.pages)
    finally:
        if args.keep:
            print(f"(kept {workdir})")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--serve-python":
        serve_python(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--worker-without-costs":
        sys.exit(worker_without_costs(sys.argv[2]))
    elif len(sys.argv) > 1 and sys.argv[1] in ("--scrapy-child", "--minimal-child"):
        child = scrapy_child if sys.argv[1] == "--scrapy-child" else minimal_child
        child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    else:
        sys.exit(main())
