"""What the hostile site of ``tests/hostile`` costs ScrapeDeck now, next to what the adversarial
probe of issue 15 measured before the fixes.

    .venv/bin/python bench/hostile.py

Printed, each with its anchor:

* peak RSS of a process fetching the 1.5 KB brotli bomb (1 GB decoded) and the 256 MB gzip bomb
  with the engine's Fetcher (anchor: a run worker reached 2,063 MB on a brotli bomb);
* wall time of ``python -m core seo audit`` on a page nested 100,000 deep (anchor: 41 s);
* time to flatten and parse a page nested 150,000 deep (anchor: the event loop blocked ~50 s);
* time until a catastrophic regex transform gives up (anchor: never; the worker hung);
* the cost of the depth check on an ordinary page (a 1.4 MB listing, 60,000 tags).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.scrape.dom import cap_nesting, parse_html  # noqa: E402
from core.scrape.package import parse_package  # noqa: E402
from core.scrape.transforms import TransformTimeout  # noqa: E402
from core.scrape.extract import extract_records  # noqa: E402
from tests.hostile.hostile_site import HostileSite, run_worker  # noqa: E402

FETCH = """
import asyncio, sys
from core.scrape.fetch import Fetcher
from core.scrape.options import FetchOptions
async def main():
    options = FetchOptions(allowed_networks="127.0.0.1", allow_private=False, delay=0,
                           respect_robots=False, max_retries=0)
    async with Fetcher(options) as fetcher:
        for url in sys.argv[1:]:
            print((await fetcher.fetch(url)).error)
asyncio.run(main())
"""


def peak_rss_of_fetching(urls: list[str]) -> float:
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-c", FETCH, *urls], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(process.pid, 0)
    process.returncode = 0
    print(f"  fetched in {time.monotonic() - started:.1f} s")
    return usage.ru_maxrss / 1024


def main() -> None:
    env = {**os.environ, "ALLOWED_PRIVATE_NETWORKS": "127.0.0.1", "ALLOW_PRIVATE_ADDRESSES": "0"}
    with HostileSite() as site:
        rss = peak_rss_of_fetching([site.url("/br-bomb"), site.url("/gzip-bomb")])
        print(f"bombs (1 GB brotli, 256 MB gzip): peak RSS {rss:.0f} MB    "
              "(anchor: 2,063 MB before; bound in tests: 450 MB)")
        audit = run_worker(["core", "seo", "audit", site.url("/deep?n=100000")], env=env,
                           timeout=300)
        print(f"seo audit of a page 100,000 deep: {audit.seconds:.1f} s, exit {audit.returncode}, "
              f"peak RSS {audit.peak_rss_mb:.0f} MB    (anchor: 41 s before)")

    depth = 150_000
    html = ("<html><body>" + "<div>" * depth + "<div class='product'><h2>Deep</h2></div>"
            + "</div>" * depth + "</body></html>")
    started = time.perf_counter()
    flat = cap_nesting(html)
    flattened = time.perf_counter() - started
    parse_html(flat)
    print(f"page 150,000 deep: flattened in {flattened:.2f} s, parsed in "
          f"{time.perf_counter() - started - flattened:.2f} s    (anchor: ~50 s blocked before)")

    package = parse_package({"version": 1, "fields": {
        "x": {"selector": "h2", "transforms": [{"regex": "^(a|a)*$"}]}}})
    started = time.perf_counter()
    try:
        extract_records(package, "<h2>" + "a" * 34 + "!</h2>", "http://x/")
        outcome = "matched?"
    except TransformTimeout:
        outcome = "gave up"
    print(f"catastrophic regex ^(a|a)*$ on 34 a's and '!': {outcome} after "
          f"{time.perf_counter() - started:.1f} s    (anchor: never, before)")

    listing = "<html><body><ul>" + "".join(
        f"<li class='product'><a href='/p/{i}'><img src='/i/{i}.jpg'></a><h2>Item {i}</h2>"
        f"<span class='price'>${i}.99</span><p>Some <b>text</b> here.</p></li>"
        for i in range(10_000)) + "</ul></body></html>"
    started = time.perf_counter()
    for _ in range(5):
        assert cap_nesting(listing) is listing
    seconds = (time.perf_counter() - started) / 5
    print(f"depth check on an ordinary {len(listing) / 1e6:.1f} MB listing (60,000 tags): "
          f"{seconds * 1000:.0f} ms, page unchanged")

if __name__ == "__main__":
    main()
