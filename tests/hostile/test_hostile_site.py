"""A hostile site against a real run worker: each trick ends as an error row with a message, in
bounded memory, with nothing else lost and nothing stuck.

The worker is a real ``python -m core.worker run`` process; its peak memory is read with
``os.wait4`` (``ru_maxrss``) and compared with a generous bound. Only the hostile site's address is
allowed (``ALLOWED_PRIVATE_NETWORKS=127.0.0.1``), as a public site would be.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timezone

import pytest
from sqlalchemy import select

from core.platform.settings import get_settings
from core.scrape.fetch import Fetcher
from core.scrape.options import FetchOptions
from core.scraping import jobs, results, runs, schemas
from core.scraping.jobs import JobInput
from db.models import Result, Run, RunEvent, RunResult
from db.types import utcnow
from tests.conftest import browser_tests_required
from tests.hostile.hostile_site import (NUMBERS, PRODUCTS, SURROGATES, HostileSite,
                                        WorkerOutcome, run_worker, worker_env)

MEMORY_BOUND_MB = 450  # a worker's imports take ~150 MB; the bombs below expand to 256 MB–1 GB
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture(scope="module")
def site() -> Iterator[HostileSite]:
    with HostileSite() as server:
        yield server


@pytest.fixture
def hostile_env(app_env: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {"ALLOW_PRIVATE_ADDRESSES": "0", "ALLOWED_PRIVATE_NETWORKS": "127.0.0.1",
                        "EXECUTOR": "queue", "FETCH_DELAY_SECONDS": "0",
                        "FETCH_BACKOFF_SECONDS": "0.05", "FETCH_TIMEOUT_SECONDS": "5",
                        "RUN_HEARTBEAT_SECONDS": "0.2"}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def start_run(db, actor, urls: list[str], package=PRODUCTS) -> uuid.UUID:  # type: ignore[no-untyped-def]
    """A job made through the service (so its URLs pass the URL policy) and a queued run."""
    with db.transaction() as session:
        job = jobs.create_job(session, actor, JobInput(
            name=f"hostile-{uuid.uuid4().hex[:6]}", target_urls=urls, config_package=package,
            options={"respect_robots": False, "concurrency": 4, "max_pages": 20}))
    with db.transaction() as session:
        return runs.start_run(session, actor, job.id).id


def outcome_of(db, run_id: uuid.UUID) -> tuple[Run, dict[str, str | None], list[dict]]:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        run = session.get(Run, run_id)
        session.expunge(run)
        pages = {row.target_url: row.error for row in session.scalars(
            select(RunResult).where(RunResult.run_id == run_id))}
        items = [row.data for row in session.scalars(select(Result).where(Result.run_id == run_id))]
    return run, pages, items


def names(items: list[dict]) -> set[str]:
    return {item.get("name") for item in items}


@SQLITE_ONLY
@pytest.mark.usefixtures("hostile_env")
def test_bombs_and_a_50_mb_page_are_refused_in_bounded_memory(db, analyst, site) -> None:
    urls = [site.url(p) for p in ("/page", "/huge", "/gzip-bomb", "/br-bomb")]
    run_id = start_run(db, analyst, urls)
    worker = run_worker(["run", str(run_id)], env=worker_env(), timeout=120)
    run, pages, items = outcome_of(db, run_id)
    assert worker.returncode == 0, worker.stderr
    assert worker.peak_rss_mb < MEMORY_BOUND_MB, f"peak RSS {worker.peak_rss_mb:.0f} MB"
    assert run.status == "completed_errors"  # the refused pages are lost
    for path in ("/huge", "/gzip-bomb", "/br-bomb"):
        assert "larger than" in (pages[site.url(path)] or ""), (path, pages[site.url(path)])
    assert pages[site.url("/page")] is None
    assert names(items) == {"Lamp", "Chair", "Desk"}  # the good page lost nothing


@SQLITE_ONLY
@pytest.mark.usefixtures("hostile_env")
def test_loops_bad_bytes_malformed_html_and_busy_servers_each_end_well(db, analyst, site) -> None:
    key = uuid.uuid4().hex[:8]
    paths = ["/loop/a", "/bad-encoding", "/bogus-charset", "/malformed", f"/busy?k={key}",
             f"/ratelimited?k={key}"]
    run_id = start_run(db, analyst, [site.url(p) for p in paths])
    worker = run_worker(["run", str(run_id)], env=worker_env(), timeout=60)
    run, pages, items = outcome_of(db, run_id)
    assert worker.returncode == 0, worker.stderr
    assert run.status == "completed_errors"  # the refused pages are lost
    assert "redirect loop" in pages[site.url("/loop/a")]
    for path in paths[1:]:
        assert pages[site.url(path)] is None, (path, pages[site.url(path)])
    found = names(items)
    assert "L\ufffda\ufffd\ufffdmp" in found  # undecodable bytes become U+FFFD, not a failure
    assert {"Chair", "Desk", "Lamp"} <= found
    assert site.hits[f"/busy?{key}"] == 2 and site.hits[f"/ratelimited?{key}"] == 2  # waited, retried


@pytest.mark.usefixtures("hostile_env")
def test_numbers_past_what_json_stores_are_no_value_and_the_run_stores_the_rest(
        db, analyst, site) -> None:
    # Python reads "9" × 400 + ".99" as infinity and 1e999 as well, takes NaN, and refuses an
    # integer of 5,000 digits; PostgreSQL's jsonb refuses the first three (the whole flush
    # with them), SQLite's JSON functions too (every sort and filter of the run).
    run_id = start_run(db, analyst, [site.url("/numbers"), site.url("/page")], package=NUMBERS)
    worker = run_worker(["run", str(run_id)], env=worker_env(), timeout=60)
    run, pages, items = outcome_of(db, run_id)

    assert worker.returncode == 0, worker.stderr
    assert run.status == "completed" and set(pages.values()) == {None}
    by_name = {item["name"]: item for item in items}
    assert set(by_name) == {"Rug", "Stool", "Lamp", "Chair", "Desk"}
    assert by_name["Rug"] == {"name": "Rug", "ld_name": "Rug"}  # every number left out
    assert by_name["Stool"] == {"name": "Stool", "price": 12.5, "count": 7, "ld_name": "Rug"}
    with db.transaction() as session:  # the database reads every stored document as JSON
        page = results.query_results(session, analyst, results.ResultQuery(
            run_id=run_id, sort="price", descending=True))
    assert page.total == 5 and list(page.frame["name"])[:2] == ["Desk", "Chair"]


@pytest.mark.usefixtures("hostile_env")
def test_half_a_utf16_pair_in_a_pages_json_reads_as_the_replacement_character(
        db, analyst, site) -> None:
    # JSON may escape half of a UTF-16 pair ("\ud800"); Python reads it as a lone surrogate,
    # which no UTF-8 text (a hash, a stored document, jsonb) can hold
    run_id = start_run(db, analyst, [site.url("/surrogates"), site.url("/page")],
                       package=SURROGATES)
    worker = run_worker(["run", str(run_id)], env=worker_env(), timeout=60)
    run, pages, items = outcome_of(db, run_id)

    assert worker.returncode == 0, worker.stderr
    assert run.status == "completed" and set(pages.values()) == {None}
    vase = next(item for item in items if item["name"] == "Vase")
    assert vase == {"name": "Vase", "price": 3.0, "ld_name": "Vase \ufffd blue",
                    "brand": "Ok \U0001f600"}  # a whole pair is one character, as ever
    assert {"Chair", "Desk", "Lamp"} <= names(items)


@pytest.mark.usefixtures("hostile_env")
def test_headers_and_reason_phrases_that_are_not_utf8_are_read_not_a_crash(
        db, analyst, site) -> None:
    # aiohttp keeps such bytes as lone surrogates, which no stored text can hold
    paths = ["/bad-location", "/bad-headers", "/bad-reason"]
    run_id = start_run(db, analyst, [site.url(p) for p in paths])
    worker = run_worker(["run", str(run_id)], env=worker_env(), timeout=60)
    run, pages, items = outcome_of(db, run_id)

    assert worker.returncode == 0, worker.stderr
    assert run.status == "completed_errors"  # the 404
    assert pages[site.url("/bad-reason")] == "HTTP 404 Gone \ufffd\ufffd"
    assert pages[site.url("/bad-location")] is None and pages[site.url("/bad-headers")] is None
    with db.transaction() as session:  # the redirect's target, its bytes percent-encoded
        fetched = {event.payload.get("url") for event in session.scalars(
            select(RunEvent).where(RunEvent.run_id == run_id))}
    assert site.url("/page?caf%E9%FF") in fetched
    assert [item["name"] for item in items].count("Chair") == 1  # the same item, stored once


def test_a_slow_drip_times_out_instead_of_holding_the_worker(site) -> None:
    async def fetch() -> tuple[str | None, float]:
        options = FetchOptions(allowed_networks="127.0.0.1", allow_private=False, timeout=1.0,
                               max_retries=0, delay=0, respect_robots=False)
        async with Fetcher(options) as fetcher:
            result = await fetcher.fetch(site.url("/drip"))
        return result.error, result.elapsed_s

    error, elapsed = asyncio.run(fetch())
    assert error == "timed out after 1 s (gave up after 1 attempts)" or error == "timed out after 1 s"
    assert elapsed < 10  # the server would drip for a minute


class HeartbeatWatch(threading.Thread):
    """Reads the run's heartbeat every 0.1 s while the worker runs; ``longest_gap`` is the
    longest time seen between now and the last heartbeat while the run was running."""

    def __init__(self, db, run_id: uuid.UUID) -> None:  # type: ignore[no-untyped-def]
        super().__init__(daemon=True)
        self.db, self.run_id = db, run_id
        self.longest_gap = 0.0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            with self.db.transaction() as session:
                row = session.get(Run, self.run_id)
                if row.status == "running" and row.heartbeat_at is not None:
                    beat = row.heartbeat_at
                    beat = beat if beat.tzinfo else beat.replace(tzinfo=timezone.utc)
                    self.longest_gap = max(self.longest_gap, (utcnow() - beat).total_seconds())
            time.sleep(0.1)


def watched_run(db, run_id: uuid.UUID, timeout: float) -> tuple[WorkerOutcome, float]:  # type: ignore[no-untyped-def]
    watch = HeartbeatWatch(db, run_id)
    watch.start()
    try:
        worker = run_worker(["run", str(run_id)], env=worker_env(), timeout=timeout)
    finally:
        watch.done.set()
        watch.join()
    return worker, watch.longest_gap


@SQLITE_ONLY
@pytest.mark.usefixtures("hostile_env")
def test_a_page_nested_150000_deep_keeps_the_heartbeat_and_its_items(db, analyst, site) -> None:
    run_id = start_run(db, analyst, [site.url("/deep?n=150000"), site.url("/page")])
    worker, longest_gap = watched_run(db, run_id, timeout=90)
    run, pages, items = outcome_of(db, run_id)
    assert worker.returncode == 0, f"worker still parsing after {worker.seconds:.0f} s"
    assert run.status == "completed" and not any(pages.values())
    assert {"Top", "Deep", "Lamp"} <= names(items)  # flattened, not dropped
    # The stale limit is 30 s; a heartbeat every 0.2 s must never fall this far behind.
    assert longest_gap < 10, f"heartbeat stopped for {longest_gap:.1f} s"


@SQLITE_ONLY
@pytest.mark.usefixtures("hostile_env")
def test_a_catastrophic_regex_fails_its_page_and_the_worker_goes_on(db, analyst, site) -> None:
    package = {"version": 1, "container": "div.product",
               "fields": {"name": {"selector": "h2", "required": True},
                          "nested": {"selector": "h2", "transforms": [{"regex": "^((a+)+)$"}]},
                          "either": {"selector": "h2", "transforms": [{"regex": "^(a|a)*$"}]}}}
    run_id = start_run(db, analyst, [site.url("/backtrack"), site.url("/page")], package)
    worker, longest_gap = watched_run(db, run_id, timeout=90)
    run, pages, items = outcome_of(db, run_id)
    assert worker.returncode == 0, f"worker still matching after {worker.seconds:.0f} s"
    assert run.status == "completed_errors"  # the refused pages are lost
    assert "the regex transform '^(a|a)*$' took longer than" in pages[site.url("/backtrack")]
    assert names(items) == {"Lamp", "Chair", "Desk"}
    assert longest_gap < 10, f"heartbeat stopped for {longest_gap:.1f} s"


@SQLITE_ONLY
@pytest.mark.usefixtures("hostile_env")
def test_a_catastrophic_schema_pattern_fails_its_item_and_the_worker_goes_on(db, analyst,
                                                                               site) -> None:
    with db.transaction() as session:
        schema = schemas.create_schema(session, analyst, schemas.SchemaInput(
            name=f"backtracking-{uuid.uuid4().hex[:6]}", definition={
                "type": "object", "required": ["name"],
                "properties": {"name": {"type": "string", "pattern": "^(a|a)*$"}}}))
        job = jobs.create_job(session, analyst, JobInput(
            name=f"hostile-{uuid.uuid4().hex[:6]}", extractor_schema_id=schema.id,
            target_urls=[site.url("/backtrack"), site.url("/page")], config_package=PRODUCTS,
            options={"respect_robots": False, "concurrency": 4, "max_pages": 20}))
    with db.transaction() as session:
        run_id = runs.start_run(session, analyst, job.id).id
    worker, longest_gap = watched_run(db, run_id, timeout=90)
    run, pages, items = outcome_of(db, run_id)
    assert worker.returncode == 0, f"worker still matching after {worker.seconds:.0f} s"
    assert not any(pages.values())  # both pages were read; items failed their check
    with db.transaction() as session:
        rejected = [payload["violations"] for payload in session.scalars(
            select(RunEvent.payload).where(RunEvent.run_id == run_id,
                                           RunEvent.event_type == "validation_result"))]
    assert any("could not be checked against '^(a|a)*$' within 1 s" in violation
               for violations in rejected for violation in violations), rejected
    assert items == [] and run.meta["items_invalid"] >= 1
    assert longest_gap < 10, f"heartbeat stopped for {longest_gap:.1f} s"


def test_an_seo_audit_of_a_page_nested_100000_deep_finishes(site, tmp_path) -> None:
    worker = run_worker(["core", "seo", "audit", site.url("/deep?n=100000")],
                        env=worker_env(ALLOWED_PRIVATE_NETWORKS="127.0.0.1",
                                       ALLOW_PRIVATE_ADDRESSES="0",
                                       SCRAPEDECK_DATA_DIR=str(tmp_path)),
                        timeout=30)
    assert worker.returncode == 0, (worker.seconds, worker.stderr[-2000:])
    assert worker.peak_rss_mb < MEMORY_BOUND_MB


@pytest.mark.parametrize("bomb", ["/br-bomb", "/gzip-bomb"])
def test_an_seo_audit_of_a_bomb_is_refused_in_bounded_memory(site, tmp_path, bomb: str) -> None:
    worker = run_worker(["core", "seo", "audit", site.url(bomb)],
                        env=worker_env(ALLOWED_PRIVATE_NETWORKS="127.0.0.1",
                                       ALLOW_PRIVATE_ADDRESSES="0",
                                       SCRAPEDECK_DATA_DIR=str(tmp_path)),
                        timeout=60)
    assert worker.returncode == 1, (worker.seconds, worker.stderr[-2000:])  # audited: failed
    assert "The page could not be audited: response larger than" in worker.stderr
    assert worker.peak_rss_mb < MEMORY_BOUND_MB


def test_a_rendered_audit_of_a_bomb_is_refused_and_no_process_balloons(site, tmp_path) -> None:
    # Every request Chromium makes goes through the fetcher's client, which decodes within the
    # cap; Playwright's own route.fetch decoded the bomb whole (3.5 GB in one process).
    worker = run_worker(["core", "seo", "audit", site.url("/br-bomb"), "--render"], timeout=120,
                        env=worker_env(ALLOWED_PRIVATE_NETWORKS="127.0.0.1",
                                       ALLOW_PRIVATE_ADDRESSES="0",
                                       SCRAPEDECK_DATA_DIR=str(tmp_path)))
    if "Chromium could not start" in worker.stderr and not browser_tests_required():
        pytest.skip(worker.stderr.strip())
    assert worker.returncode == 1, worker.stderr
    assert "The page could not be audited: response larger than" in worker.stderr
    assert worker.peak_rss_mb < MEMORY_BOUND_MB


def test_the_bombs_are_real_small_on_the_wire_and_huge_decoded() -> None:
    import zlib

    import brotli

    from tests.hostile.hostile_site import brotli_bomb, gzip_bomb

    def expanded(step, data: bytes) -> int:  # noqa: ANN001 - decoded in bounded steps, to 250 MB
        total = 0
        while total < 250_000_000:
            out, data = step(data)
            if not out:
                break
            total += len(out)
        return total

    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    decoder = brotli.Decompressor()
    assert len(gzip_bomb()) < 1_000_000 and expanded(
        lambda d: (inflater.decompress(d, 1 << 24), inflater.unconsumed_tail), gzip_bomb()) \
        >= 250_000_000
    assert len(brotli_bomb()) < 10_000 and expanded(
        lambda d: (decoder.process(d, output_buffer_limit=1 << 24), b""), brotli_bomb()) \
        >= 250_000_000


def test_a_model_provider_answering_with_a_bomb_is_refused_at_the_cap(
        site, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.llm.client import MAX_ANSWER_BYTES, ChatClient, ProviderConfig
    from core.llm.errors import ModelAnswerInvalid

    monkeypatch.setenv("ALLOWED_PRIVATE_NETWORKS", "127.0.0.1")
    get_settings.cache_clear()

    config = ProviderConfig("Bomb", site.url("/bomb/v1"), "m", api_key="sk-x", timeout=10)
    with ChatClient(config, max_retries=0) as client, pytest.raises(ModelAnswerInvalid) as refused:
        client.complete([{"role": "user", "content": "hello"}])
    get_settings.cache_clear()
    assert f"over the {MAX_ANSWER_BYTES:,}-byte limit once decoded" in str(refused.value)
