"""A hostile web site on 127.0.0.1, an internal service on 127.0.0.2 it tries to reach through
ScrapeDeck, and a way to run a real worker process and measure its peak memory.

    with HostileSite() as site, InternalService() as internal:
        site.url("/br-bomb")       # "http://127.0.0.1:PORT/br-bomb"
        internal.requests          # every path the internal service was asked for

The tests allow exactly the hostile site's address (``ALLOWED_PRIVATE_NETWORKS=127.0.0.1``) and
nothing else, so the site plays a public web site and 127.0.0.2 plays the server's private
network (Linux answers on all of 127.0.0.0/8).

Routes (every request is counted in ``site.hits`` by path):

    /page                    three products (div.product: h2 name, span.price)
    /drip                    a header, then one byte every 0.1 s for a minute
    /huge                    50 MB of HTML, no Content-Length
    /gzip-bomb, /br-bomb     ~250 KB of gzip / ~1.5 KB of brotli that expand to 256 MB / 1 GB
    /loop/a, /loop/b         redirect to each other
    /bad-encoding            invalid UTF-8 bytes in a page that says it is UTF-8
    /bogus-charset           a charset nobody knows
    /malformed               unclosed and stray tags, unquoted attributes, a NUL
    /busy?k=KEY              503 with Retry-After: 1 the first time per KEY, then /page
    /ratelimited?k=KEY       429 with Retry-After: 1 the first time per KEY, then /page
    /deep?n=N                a product nested N <div> deep, and one at the top
    /backtrack               a product whose name is 34 "a"s and a "!" (for ^((a+)+)$)
    /numbers                 numbers past what JSON stores: a price of 400 digits, a count of
                             5,000 digits, JSON-LD with 1e999 and NaN; and one sound product
    /surrogates              JSON-LD whose strings escape half a UTF-16 pair (\\ud800, a lone
                             \\udfff in a key), one with a whole pair; and one sound product
    /redirect?to=URL         302 to URL
    /bad-location            302 to /page, its Location holding bytes that are not UTF-8
    /bad-headers             the products page, its Content-Type, X-Robots-Tag and Link headers
                             holding bytes that are not UTF-8
    /bad-reason              404 with a reason phrase of bytes that are not UTF-8
    /schema/ref.json         a JSON Schema; /schema/not-json: HTML
    /bomb/v1/chat/completions   the brotli bomb, as a model provider's answer
    /render/reach?internal=BASE   a page whose script reaches BASE by fetch(), XHR, WebSocket,
                             an iframe and a script that redirect there, and a stylesheet
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import threading
import time
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fixtures.httpserver import LocalServer, QuietHandler

PROJECT_ROOT = Path(__file__).resolve().parents[2]

PRODUCTS_HTML = (b"<html><head><title>Shop</title></head><body>"
                 b"<div class='product'><h2>Lamp</h2><span class='price'>$10</span></div>"
                 b"<div class='product'><h2>Chair</h2><span class='price'>$25</span></div>"
                 b"<div class='product'><h2>Desk</h2><span class='price'>$99</span></div>"
                 b"</body></html>")
PRODUCTS = {"version": 1, "container": "div.product",
            "fields": {"name": {"selector": "h2", "required": True},
                       "price": {"selector": ".price", "transforms": ["price"]}}}
MB = 1 << 20


class HostileSite(LocalServer):
    def __init__(self) -> None:
        super().__init__(_Hostile, name="hostile-site", poll_interval=0.1)
        self.hits: Counter[str] = Counter()
        self.lock = threading.Lock()

    def __enter__(self) -> HostileSite:
        gzip_bomb(), brotli_bomb()  # made once (a few seconds), before any request waits
        return super().__enter__()

    def url(self, path: str) -> str:
        return self.base_url + path


class InternalService(LocalServer):
    """Something on the server's private network: it only records who asked for what."""

    def __init__(self) -> None:
        super().__init__(_Internal, name="internal-service", poll_interval=0.1, host="127.0.0.2")
        self.requests: list[str] = []

    def url(self, path: str) -> str:
        return self.base_url + path


class _Internal(QuietHandler):
    server: InternalService

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        self.respond(200, b"<html><body><p class='secret'>internal secret</p></body></html>")

    do_POST = do_GET


class _Hostile(QuietHandler):
    server: HostileSite

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        key = f"{parts.path}?{query.get('k', '')}"
        with self.server.lock:
            self.server.hits[parts.path] += 1
            if key != parts.path + "?":
                self.server.hits[key] += 1
            hits = self.server.hits[key if key != parts.path + "?" else parts.path]
        route = _ROUTES.get(parts.path)
        if route is None:
            self.respond(404, b"<html><body>not here</body></html>")
        else:
            route(self, query, hits)

    do_POST = do_GET  # a model endpoint is asked with POST; counted all the same

    def stream(self, headers: dict[str, str], chunks: Any, pause: float = 0.0) -> None:
        """An answer without Content-Length, closed at the end, sent chunk by chunk."""
        self.close_connection = True
        self.send_response(200)
        for name, value in {"Content-Type": "text/html; charset=utf-8", **headers}.items():
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            for chunk in chunks:
                self.wfile.write(chunk)
                if pause:
                    self.wfile.flush()
                    time.sleep(pause)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should


def _page(h: _Hostile, _q: dict[str, str], _n: int) -> None:
    h.respond(200, PRODUCTS_HTML)


NUMBERS_HTML = (
    "<html><head><title>Numbers</title><script type='application/ld+json'>"
    '{"@type": "Product", "name": "Rug", "offers": {"price": 1e999}, "weight": NaN}'
    "</script></head><body>"
    f"<div class='product'><h2>Rug</h2><span class='price'>${'9' * 400}.99</span>"
    f"<span class='count'>{'1' * 5000}</span></div>"
    "<div class='product'><h2>Stool</h2><span class='price'>$12.50</span>"
    "<span class='count'>7</span></div></body></html>").encode()
NUMBERS = {"version": 1, "container": "div.product", "fields": {
    "name": {"selector": "h2", "required": True},
    "price": {"selector": ".price", "transforms": ["price"]},
    "count": {"selector": ".count", "transforms": ["number"]},
    "listed": {"selector": "Product.offers.price", "selector_type": "jsonld"},
    "weight": {"selector": "Product.weight", "selector_type": "jsonld"},
    "ld_name": {"selector": "Product.name", "selector_type": "jsonld"}}}

SURROGATES_HTML = (
    "<html><head><title>Surrogates</title><script type='application/ld+json'>"
    r'{"@type": "Product", "name": "Vase \ud800 blue", "brand": {"name": "Ok \ud83d\ude00"},'
    r' "x\udfff": 1}'
    "</script></head><body>"
    "<div class='product'><h2>Vase</h2><span class='price'>$3.00</span></div></body></html>"
).encode()
SURROGATES = {"version": 1, "container": "div.product", "fields": {
    "name": {"selector": "h2", "required": True},
    "price": {"selector": ".price", "transforms": ["price"]},
    "ld_name": {"selector": "Product.name", "selector_type": "jsonld"},
    "brand": {"selector": "Product.brand.name", "selector_type": "jsonld"}}}


def _numbers(h: _Hostile, _q: dict[str, str], _n: int) -> None:
    h.respond(200, NUMBERS_HTML)


def _surrogates(h: _Hostile, _q: dict[str, str], _n: int) -> None:
    h.respond(200, SURROGATES_HTML)


# A header's value or a reason phrase is sent as its str's latin-1 bytes: "\xe9\xff" are the
# bytes E9 FF, which are not UTF-8
def _bad_location(h: _Hostile, _q: dict[str, str], _n: int) -> None:
    h.respond(302, content_type=None, headers={"Location": "/page?caf\xe9\xff"})


def _bad_headers(h: _Hostile, _q: dict[str, str], _n: int) -> None:
    h.respond(200, PRODUCTS_HTML, content_type="text/html; charset=\xff\xfe", headers={
        "X-Robots-Tag": "noindex\xff", "Link": "<http://example.com/\xff>; rel=canonical"})


def _bad_reason(h: _Hostile, _q: dict[str, str], _n: int) -> None:
    body = b"<html><body>gone</body></html>"
    h.send_response(404, "Gone \xff\xfe")
    h.send_header("Content-Type", "text/html")
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


def _drip(h: _Hostile, _q: dict[str, str], _n: int) -> None:
    h.stream({}, (b"<" if i == 0 else b" " for i in range(600)), pause=0.1)


def _huge(h: _Hostile, _q: dict[str, str], _n: int) -> None:
    block = b"<p>" + b"x" * (MB - 8) + b"</p>\n"
    h.stream({}, (block for _ in range(50)))


@functools.cache
def gzip_bomb() -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = bytes(MB)
    body = [compressor.compress(b"<html><body>")]
    body += [compressor.compress(zeros) for _ in range(256)]
    return b"".join(body) + compressor.flush()


@functools.cache
def brotli_bomb() -> bytes:
    import brotli

    compressor = brotli.Compressor(quality=5)
    zeros = bytes(MB)
    body = [compressor.process(b"<html><body>")]
    body += [compressor.process(zeros) for _ in range(1024)]
    return b"".join(body) + compressor.finish()


def _gzip_bomb(h: _Hostile, _q: dict[str, str], _n: int) -> None:
    h.respond(200, gzip_bomb(), headers={"Content-Encoding": "gzip"})


def _br_bomb(h: _Hostile, _q: dict[str, str], _n: int) -> None:
    h.respond(200, brotli_bomb(), headers={"Content-Encoding": "br"})


def _loop(h: _Hostile, _q: dict[str, str], _n: int) -> None:
    target = "/loop/b" if h.path.startswith("/loop/a") else "/loop/a"
    h.respond(302, content_type=None, headers={"Location": target})


def _bad_encoding(h: _Hostile, _q: dict[str, str], _n: int) -> None:
    h.respond(200, PRODUCTS_HTML.replace(b"Lamp", b"L\xffa\xfe\xc3mp"))


def _bogus_charset(h: _Hostile, _q: dict[str, str], _n: int) -> None:
    h.respond(200, PRODUCTS_HTML, content_type="text/html; charset=x-no-such-charset")


def _malformed(h: _Hostile, _q: dict[str, str], _n: int) -> None:
    h.respond(200, b"</div></span><html><body><div class=product><h2>Lamp<span class=price>$10"
                   b"<div class='product'><h2>Chair</h2><span class=price>$25</b></i></div>"
                   b"<div class=\"product\"><h2>Desk\x00</h2><span class=price>$99</span>"
                   b"<p><table><tr><td><div></table></p></body><!-- unclosed")


def _busy(h: _Hostile, _q: dict[str, str], n: int) -> None:
    if n == 1:
        h.respond(503, b"busy", headers={"Retry-After": "1"})
    else:
        h.respond(200, PRODUCTS_HTML)


def _ratelimited(h: _Hostile, _q: dict[str, str], n: int) -> None:
    if n == 1:
        h.respond(429, b"slow down", headers={"Retry-After": "1"})
    else:
        h.respond(200, PRODUCTS_HTML)


def _deep(h: _Hostile, q: dict[str, str], _n: int) -> None:
    depth = int(q.get("n", "150000"))
    product = b"<div class='product'><h2>Deep</h2><span class='price'>$1</span></div>"
    top = b"<div class='product'><h2>Top</h2><span class='price'>$2</span></div>"
    h.respond(200, b"<html><head><title>Deep</title></head><body>" + top + b"<div>" * depth
              + product + b"</div>" * depth + b"</body></html>")


def _backtrack(h: _Hostile, _q: dict[str, str], _n: int) -> None:
    h.respond(200, b"<html><body><div class='product'><h2>" + b"a" * 34 + b"!</h2>"
                   b"<span class='price'>$5</span></div></body></html>")


def _redirect(h: _Hostile, q: dict[str, str], _n: int) -> None:
    h.respond(302, content_type=None, headers={"Location": q.get("to", "/")})


def _schema(h: _Hostile, _q: dict[str, str], _n: int) -> None:
    h.respond(200, b'{"type": "string"}', content_type="application/json")


def _not_json(h: _Hostile, _q: dict[str, str], _n: int) -> None:
    h.respond(200, b"<html><body>this is not JSON</body></html>")


def _reach(h: _Hostile, q: dict[str, str], _n: int) -> None:
    internal = q.get("internal", "")
    ws = internal.replace("http://", "ws://")
    here = f"http://{h.server.server_address[0]}:{h.server.server_address[1]}"
    body = f"""<html><head><title>Reach</title>
<link rel="stylesheet" href="{internal}/style.css">
<script src="{here}/redirect?to={internal}/script.js"></script>
</head><body>
<iframe src="{here}/redirect?to={internal}/iframe"></iframe>
<iframe src="{internal}/direct-iframe"></iframe>
<div id="out"></div>
<script>
  fetch("{internal}/fetch").catch(() => null);
  fetch("{here}/redirect?to={internal}/fetch-redirected").catch(() => null);
  const x = new XMLHttpRequest(); x.open("GET", "{internal}/xhr"); x.send();
  try {{ new WebSocket("{ws}/websocket"); }} catch (e) {{}}
  navigator.sendBeacon("{internal}/beacon", "x");
  document.getElementById("out").innerHTML =
    "<div class='product'><h2>Rendered</h2><span class='price'>$7</span></div>";
</script></body></html>"""
    h.respond(200, body.encode())


_ROUTES = {
    "/page": _page, "/drip": _drip, "/huge": _huge, "/gzip-bomb": _gzip_bomb,
    "/br-bomb": _br_bomb, "/loop/a": _loop, "/loop/b": _loop, "/bad-encoding": _bad_encoding,
    "/bogus-charset": _bogus_charset, "/malformed": _malformed, "/busy": _busy,
    "/ratelimited": _ratelimited, "/deep": _deep, "/backtrack": _backtrack,
    "/redirect": _redirect, "/schema/ref.json": _schema, "/schema/not-json": _not_json,
    "/render/reach": _reach, "/bomb/v1/chat/completions": _br_bomb, "/numbers": _numbers,
    "/surrogates": _surrogates, "/bad-location": _bad_location, "/bad-headers": _bad_headers,
    "/bad-reason": _bad_reason,
}


# --- Running a real worker ------------------------------------------------------------------------

@dataclass(frozen=True)
class WorkerOutcome:
    returncode: int | None  # None: it was still working at the deadline (and was killed)
    peak_rss_mb: float  # the largest peak resident memory of any process it started, itself too
    seconds: float
    stderr: str


# Started by the test, it starts the command, waits (killing it at the deadline) and prints its
# exit code and RUSAGE_CHILDREN's ru_maxrss: the largest peak of any descendant it waited for.
# A child's ru_maxrss counts its parent's memory at the spawn (the address space it came from),
# so a command started straight from a big pytest worker would read that worker's size; this
# launcher is a few MB.
_LAUNCHER = """import json, resource, subprocess, sys
command = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL)
try:
    code = command.wait(float(sys.argv[1]))
except subprocess.TimeoutExpired:
    command.kill()
    command.wait()
    code = None
print(json.dumps([code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))"""


def run_worker(args: list[str], *, env: dict[str, str], timeout: float) -> WorkerOutcome:
    """``python -m core.worker ARGS`` (or ``core`` when args start with "core"), killed at
    ``timeout``; its outcome with the largest peak RSS of any process in its tree (a browser's,
    Playwright's driver's, its own)."""
    module = ["-m", "core.worker", *args] if args[0] != "core" else ["-m", *args]
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", _LAUNCHER, str(timeout), sys.executable,
                           *module], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout + 60)
    code, peak_kb = json.loads(done.stdout.strip().splitlines()[-1])
    return WorkerOutcome(code, peak_kb / 1024, time.monotonic() - started, done.stderr)


def worker_env(**extra: str) -> dict[str, str]:
    """The test's environment (settings the fixtures set) for a worker process."""
    return {**os.environ, **extra}
