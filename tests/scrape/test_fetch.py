"""The fetcher against the local fixture site: retries, limits, redirects, robots.txt, politeness.

Timing is only ever checked from below (a wait lasted at least this long) or through the order in
which the server saw requests, never against an upper bound.
"""

import asyncio
import itertools
import socket
from collections.abc import Callable

import httpx
import pytest

from core.platform.errors import ValidationError
from core.scrape.fetch import Fetcher
from core.scrape.options import FetchOptions
from core.scrape.result import FetchResult
from core.platform.settings import PROJECT_ROOT, get_settings
from tests.fixtures.server import FixtureServer

Fetch = Callable[..., FetchResult]
FetchAll = Callable[..., list[FetchResult]]


def test_a_page_is_fetched_with_its_details(fetch: Fetch, fixture_site: str) -> None:
    result = fetch(f"{fixture_site}/catalog/page1.html")

    assert result.ok and result.status_code == 200
    assert "Aurora Desk Lamp" in result.text
    assert result.headers["content-type"] == "text/html; charset=utf-8"
    assert result.final_url == result.url and result.redirects == []
    assert result.attempts == 1 and result.retries == 0
    assert result.n_bytes == len(result.text.encode("utf-8")) > 0
    assert result.utf8 == result.text.encode("utf-8")  # kept for the parser: no second encoding


@pytest.mark.parametrize("meta", ["charset", "http-equiv"])
def test_a_page_is_decoded_with_the_charset_its_markup_declares(fetch: Fetch, fixture_site: str,
                                                                meta: str) -> None:
    result = fetch(f"{fixture_site}/legacy?meta={meta}")

    assert result.ok, result.error
    assert result.headers["content-type"] == "text/html"  # the header names no charset
    assert "\u201cCaf\u00e9\u201d \u2013 \u20ac5" in result.text  # read as windows-1252, not UTF-8
    assert result.utf8 is None and result.markup is result.text  # the parser gets the text


@pytest.mark.parametrize("name", ["rot13", "hex", "zlib", "base64", "idna", "no-such-codec"])
def test_a_charset_that_is_no_text_encoding_reads_the_page_as_utf8(fetch: Fetch,
                                                                     fixture_site: str,
                                                                     name: str) -> None:
    result = fetch(f"{fixture_site}/charset?name={name}")

    assert result.ok, result.error
    assert "caf\u00e9" in result.text


def test_a_503_is_retried_until_the_page_comes(fetch: Fetch, fixture_site: str) -> None:
    result = fetch(f"{fixture_site}/flaky?case=retried")

    assert result.ok, result.error
    assert result.attempts == 3 and result.retries == 2
    assert "succeeded on attempt 3" in result.text
    assert result.retried_after == "HTTP 503 Service Unavailable"


def test_retries_run_out(fetch: Fetch, fixture_site: str) -> None:
    result = fetch(f"{fixture_site}/flaky?case=runs-out", max_retries=1)

    assert result.error == "HTTP 503 Service Unavailable (gave up after 2 attempts)"
    assert result.status_code == 503 and result.text == ""


def test_a_429_waits_as_long_as_retry_after_asks(fetch: Fetch, fixture_site: str,
                                                fixture_server: FixtureServer) -> None:
    result = fetch(f"{fixture_site}/ratelimited?case=honoured", backoff=0.0)

    assert result.ok and result.attempts == 2
    times = [t for t, path in fixture_server.requests if path == "/ratelimited"][-2:]
    assert times[1] - times[0] >= 0.9  # Retry-After: 1, although the backoff is 0
    assert result.elapsed_s >= 0.9


def test_retry_after_is_capped(fetch: Fetch, fixture_site: str) -> None:
    result = fetch(f"{fixture_site}/ratelimited?case=capped", max_retry_wait=0.0)

    assert result.ok and result.attempts == 2


def test_a_slow_page_times_out(fetch: Fetch, fixture_site: str) -> None:
    result = fetch(f"{fixture_site}/slow?s=3", timeout=0.3, max_retries=0)

    assert result.error == "timed out after 0.3 s"
    assert result.status_code is None and result.attempts == 1


def test_slow_pages_time_out_together_and_the_requests_task_goes_on(
        fetch_all: FetchAll, make_options: Callable[..., FetchOptions], fixture_site: str) -> None:
    """One watchdog keeps the time limits: three pages past it stop, the page beside them
    comes, and the task that met a time limit is not cancelled later on."""
    results = fetch_all(*[f"{fixture_site}/slow?s=3"] * 3, f"{fixture_site}/catalog/page1.html",
                        timeout=0.3, max_retries=0)
    assert [r.error for r in results] == ["timed out after 0.3 s"] * 3 + [None]

    async def one_task() -> tuple[FetchResult, FetchResult]:
        async with Fetcher(make_options(timeout=0.3, max_retries=0)) as fetcher:
            slow = await fetcher.fetch(f"{fixture_site}/slow?s=3")
            await asyncio.sleep(0.6)  # a cancel left pending would land here
            return slow, await fetcher.fetch(f"{fixture_site}/catalog/page1.html")

    slow, page = asyncio.run(one_task())
    assert slow.error == "timed out after 0.3 s" and page.ok


def test_a_cancel_while_a_request_waits_is_a_cancel_not_a_time_limit(
        make_options: Callable[..., FetchOptions], fixture_site: str) -> None:
    async def cancelled_midway() -> None:
        async with Fetcher(make_options(timeout=30, max_retries=0)) as fetcher:
            request = asyncio.create_task(fetcher.fetch(f"{fixture_site}/slow?s=3"))
            await asyncio.sleep(0.3)
            request.cancel()
            with pytest.raises(asyncio.CancelledError):
                await request

    asyncio.run(cancelled_midway())


@pytest.mark.parametrize("path", ["/huge", "/huge?declared=1"])
def test_a_page_over_the_size_cap_is_an_error(fetch: Fetch, fixture_site: str, path: str) -> None:
    result = fetch(f"{fixture_site}{path}", max_bytes=100_000)

    assert result.error == "response larger than 100000 bytes"
    assert result.text == "" and result.n_bytes < 1_000_000  # dropped early, not downloaded


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate"])
def test_a_compressed_page_is_decoded_and_billed_as_sent(fetch: Fetch, fixture_site: str,
                                                         encoding: str) -> None:
    result = fetch(f"{fixture_site}/compressed?encoding={encoding}&repeat=2000")

    assert result.ok, result.error
    assert result.text.count("squeezed") == 2000
    assert 0 < result.n_bytes < len(result.text) // 10  # the compressed size came over the wire


def test_a_gzip_bomb_is_stopped_at_the_size_cap(fetch: Fetch, fixture_site: str) -> None:
    result = fetch(f"{fixture_site}/compressed?repeat=1000000", max_bytes=100_000)

    assert result.error == "response larger than 100000 bytes"  # 9 MB once decompressed
    assert result.text == "" and result.n_bytes < 100_000


def test_a_body_that_does_not_decompress_is_an_error(fetch: Fetch, fixture_site: str) -> None:
    result = fetch(f"{fixture_site}/compressed?corrupt=1&repeat=50")

    assert result.error.startswith("request failed: the gzip body cannot be decoded")
    assert result.attempts == 1


def test_a_non_html_response_is_an_error_and_not_downloaded(fetch: Fetch,
                                                            fixture_site: str) -> None:
    result = fetch(f"{fixture_site}/data.json")

    assert result.error == "not an HTML page (content-type: application/json)"
    assert result.status_code == 200 and result.n_bytes == 0


def test_a_missing_page_is_an_error(fetch: Fetch, fixture_site: str) -> None:
    result = fetch(f"{fixture_site}/catalog/page9.html")

    assert result.error == "HTTP 404 Not Found" and result.attempts == 1  # 404 is not retried


def test_redirects_are_followed_and_listed(fetch: Fetch, fixture_site: str) -> None:
    result = fetch(f"{fixture_site}/redirect?to=/catalog/page2.html")

    assert result.ok and "Elm Dining Table" in result.text
    assert result.final_url == f"{fixture_site}/catalog/page2.html"
    assert result.redirects == [f"{fixture_site}/catalog/page2.html"]
    assert result.attempts == 2 and result.retries == 0


def test_a_redirect_loop_is_reported_with_its_path(fetch: Fetch, fixture_site: str) -> None:
    result = fetch(f"{fixture_site}/loop/a")

    a, b = f"{fixture_site}/loop/a", f"{fixture_site}/loop/b"
    assert result.error == f"redirect loop: {a} → {b} → {a}"
    assert result.status_code == 302 and result.redirects == [b]


def test_redirects_beyond_the_limit_are_not_followed(fetch: Fetch, fixture_site: str) -> None:
    result = fetch(f"{fixture_site}/redirect?to=/redirect%3Fto%3D/catalog/page1.html",
                   max_redirects=1)

    assert result.error.startswith("more than 1 redirects: ")
    assert result.redirects == [f"{fixture_site}/redirect?to=/catalog/page1.html"]


def test_every_redirect_hop_is_checked_like_the_first_url(fetch: Fetch, fixture_site: str) -> None:
    result = fetch(f"{fixture_site}/redirect?to=ftp://files.example/x.html")

    assert result.error.startswith(f"redirect from {fixture_site}/redirect?to=ftp")
    assert "only http and https URLs are allowed" in result.error


def test_a_private_address_is_refused_without_a_request(fetch: Fetch, fixture_site: str,
                                                        fixture_server: FixtureServer) -> None:
    before = len(fixture_server.requests)

    result = fetch(f"{fixture_site}/catalog/page1.html", allow_private=False)

    assert "a loopback address" in result.error and result.attempts == 0
    assert len(fixture_server.requests) == before


def test_a_connection_refused_is_an_error(fetch: Fetch, fixture_site: str) -> None:
    with FixtureServer() as closed:
        url = f"{closed.base_url}/catalog/page1.html"
    result = fetch(url, max_retries=1)

    assert result.error.startswith("connection failed: ") and "gave up after 2" in result.error


def test_robots_txt_is_honoured_when_asked(fetch_all: FetchAll, fixture_site: str) -> None:
    private, public = fetch_all(f"{fixture_site}/private/secret.html",
                                f"{fixture_site}/catalog/page1.html", respect_robots=True)

    assert private.error == f"disallowed by robots.txt: {fixture_site}/private/secret.html"
    assert private.attempts == 0
    assert public.ok


def test_a_host_that_refuses_connections_is_unreachable_not_disallowed(fetch: Fetch) -> None:
    with socket.socket() as sock:  # a port nothing listens on (bound, never listening)
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/page.html"
        result = fetch(url, respect_robots=True, max_retries=0)

    assert result.error.startswith("site unreachable (robots.txt could not be fetched: "
                                   "connection failed")
    assert "disallowed" not in result.error and result.error.endswith(url)


def test_robots_txt_is_ignored_when_not_asked(fetch: Fetch, fixture_site: str) -> None:
    assert fetch(f"{fixture_site}/private/secret.html", respect_robots=False).ok


def test_requests_to_one_host_are_spaced_by_the_delay(fetch_all: FetchAll, fixture_site: str,
                                                      fixture_server: FixtureServer) -> None:
    paths = [f"/catalog/page{n}.html?case=spaced" for n in (1, 2, 3)]
    fixture_server.reset()

    results = fetch_all(*(f"{fixture_site}{p}" for p in paths), delay=0.3, concurrency=8,
                        domain_concurrency=8)

    assert all(r.ok for r in results)
    times = sorted(t for t, _ in fixture_server.requests)
    assert len(times) == 3
    assert all(later - earlier >= 0.25 for earlier, later in itertools.pairwise(times))


def test_the_delay_applies_per_host(fetch_all: FetchAll, fixture_site: str,
                                    fixture_server: FixtureServer) -> None:
    """127.0.0.1 and localhost are different hosts: the second one need not wait its turn."""
    other_host = fixture_site.replace("127.0.0.1", "localhost")
    fixture_server.reset()

    results = fetch_all(f"{fixture_site}/catalog/page1.html", f"{fixture_site}/shop/p/1",
                        f"{other_host}/shop/p/2", delay=1.0)

    assert all(r.ok for r in results)
    order = [path for _, path in sorted(fixture_server.requests)]
    assert order.index("/shop/p/2") < order.index("/shop/p/1")


def test_the_reset_route_restarts_the_fixture_counters(fetch: Fetch, fixture_site: str) -> None:
    assert fetch(f"{fixture_site}/flaky?case=reset").attempts == 3
    assert httpx.get(f"{fixture_site}/reset").status_code == 204
    assert fetch(f"{fixture_site}/flaky?case=reset").attempts == 3


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        FetchOptions(concurrency=0, delay=-1)
    assert caught.value.problems == ["concurrency must be more than 0, not 0",
                                     "delay must be 0 or more, not -1"]


def test_defaults_come_from_settings() -> None:
    options, settings = FetchOptions(), get_settings()
    assert options.respect_robots
    assert options.allow_private == settings.allow_private_addresses
    assert options.max_bytes == settings.fetch_max_bytes
    assert options.timeout == settings.fetch_timeout_seconds


def test_a_fetcher_is_used_as_a_context_manager(fixture_site: str) -> None:
    async def main() -> str | None:
        async with Fetcher(FetchOptions(allow_private=True, delay=0)) as fetcher:
            return (await fetcher.fetch(f"{fixture_site}/shop/p/1")).error

    assert asyncio.run(main()) is None


def _after_import(prelude: str) -> dict[str, object]:
    """What a fresh interpreter sees once it imported the fetcher (after ``prelude``)."""
    import json
    import subprocess
    import sys

    code = prelude + """
import json, ssl
from core.scrape import fetch
import aiohttp.connector as connector
print(json.dumps({
    "aiohttp_default_ca": connector._SSL_CONTEXT_VERIFIED.cert_store_stats()["x509_ca"],
    "aiohttp_default_verifies": connector._SSL_CONTEXT_VERIFIED.verify_mode == ssl.CERT_REQUIRED,
    "later_default_ca": ssl.create_default_context().cert_store_stats()["x509_ca"],
    "fetcher_ca": fetch._ssl_context().cert_store_stats()["x509_ca"],
}))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True,
                         text=True, check=True).stdout
    return dict(json.loads(out))


def test_a_worker_imports_aiohttp_without_loading_certificates_it_never_uses() -> None:
    seen = _after_import("")

    assert seen["aiohttp_default_ca"] == 0  # skipped: ~60 ms of CPU at every worker's start
    assert seen["aiohttp_default_verifies"]  # and still verifying: it refuses every certificate
    assert seen["later_default_ca"] and seen["fetcher_ca"]  # contexts made afterwards load them


def test_with_other_threads_running_aiohttp_is_imported_as_it_is() -> None:
    seen = _after_import("import threading, time\n"
                         "threading.Thread(target=time.sleep, args=(5,), daemon=True).start()\n")

    assert seen["aiohttp_default_ca"] and seen["later_default_ca"] and seen["fetcher_ca"]


@pytest.mark.parametrize("url", ["https://shop.example/", "HTTPS://shop.example/",
                                 "\x01https://shop.example/", " \thttps://shop.example/"])
def test_https_is_verified_with_the_fetchers_context_however_the_url_is_written(url: str) -> None:
    from core.scrape import fetch as fetcher

    target, tls = fetcher._target(url)

    assert target.scheme == "https"  # what aiohttp will connect with
    assert tls is fetcher._ssl_context()  # the certifi bundle, never aiohttp's default


def test_http_needs_no_tls_context() -> None:
    from core.scrape import fetch as fetcher

    assert fetcher._target("http://shop.example/")[1] is True


@pytest.mark.parametrize("url", ["http://[::1/", "http://shop.example:99999/"])
def test_a_browser_request_to_an_invalid_url_is_answered_with_why(make_options, url: str) -> None:
    async def send() -> object:
        async with Fetcher(make_options()) as fetcher:
            return await fetcher.send_for_browser("GET", url, {}, None)

    assert str(asyncio.run(send())).startswith("request failed: ")
