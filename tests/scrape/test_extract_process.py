"""Extraction in a second process (core.scrape.extract_process): the same records as in the
worker's own thread, a transform's time-out as the same error, and a child that dies hands its
pages back instead of losing them."""

from __future__ import annotations

import asyncio

import pytest

from core.scrape.extract import extract_records
from core.scrape.extract_process import ExtractionFailed, ExtractorGone, ExtractorProcess
from core.scrape.package import parse_package
from core.scrape.transforms import TransformTimeout

LISTING = parse_package({
    "version": 1, "container": "li",
    "fields": {"name": {"selector": "b", "transforms": ["strip"], "required": True},
               "price": {"selector": ".now", "transforms": ["price"],
                         "fallbacks": [{"selector": ".was", "transforms": ["price"]}]},
               "url": {"selector": "a", "take": "attr", "attribute": "href",
                       "transforms": ["absolute_url"]}},
    "detail": {"link": "url", "fields": {"sku": {"selector": ".sku",
                                                  "transforms": [{"regex": r"SKU-(\d+)"}]}}}})
PAGE = """<base href="https://shop.example/c/"><ul>
<li><b> Lamp </b><span class="now">€12,50</span><a href="lamp.html">more</a></li>
<li><b>Chair</b><span class="was">$40</span><a href="/chair">more</a></li>
<li><span class="now">€1</span></li></ul>"""
BACKTRACKS = parse_package({"version": 1, "fields": {"name": {
    "selector": "b", "transforms": [{"regex": "^(a|a)*$"}]}}})


async def extracted(packages, *pages):  # type: ignore[no-untyped-def]
    extractor = await ExtractorProcess.start(packages)
    try:
        return await asyncio.gather(*(extractor.records(*page) for page in pages),
                                    return_exceptions=True)
    finally:
        await extractor.close()


def test_the_child_gives_the_records_the_thread_gives() -> None:
    page = ("page", PAGE, "https://shop.example/c/list")
    detail = ("detail", '<p class="sku">Item SKU-4521</p>', "https://shop.example/c/lamp.html")
    in_child = asyncio.run(extracted({"page": LISTING, "detail": LISTING.detail.package},
                                     page, detail))
    assert in_child == [extract_records(LISTING, *page[1:]),
                        extract_records(LISTING.detail.package, *detail[1:])]
    assert [r.data for r in in_child[0]] == [
        {"name": "Lamp", "price": 12.5, "url": "https://shop.example/c/lamp.html"},
        {"name": "Chair", "price": 40.0, "url": "https://shop.example/chair"},
        {"price": 1.0}]
    assert in_child[0][1].fallbacks == {"price": 1}
    assert in_child[1][0].data == {"sku": "4521"}


def test_a_transform_that_runs_out_of_time_is_the_same_error() -> None:
    [error, fine] = asyncio.run(extracted({"page": BACKTRACKS},
                                          ("page", "<b>" + "a" * 34 + "!</b>", "https://x.test/"),
                                          ("page", "<b>aaa</b>", "https://x.test/")))
    assert isinstance(error, TransformTimeout)
    assert "the regex transform '^(a|a)*$' took longer than 1 s" in str(error)
    assert [r.data for r in fine] == [{"name": "a"}]  # the group's last match


def test_an_unknown_package_name_is_a_failure_of_that_page_only() -> None:
    [error, fine] = asyncio.run(extracted({"page": BACKTRACKS}, ("nope", "<b>a</b>", ""),
                                          ("page", "<b>a</b>", "")))
    assert isinstance(error, ExtractionFailed) and "no such package" in str(error)
    assert [r.data for r in fine] == [{"name": "a"}]


def test_a_child_that_dies_fails_its_pages_as_gone() -> None:
    async def scenario() -> tuple[object, object, bool]:
        extractor = await ExtractorProcess.start({"page": BACKTRACKS})
        held = asyncio.ensure_future(
            extractor.records("page", "<b>" + "a" * 34 + "!</b>", "https://x.test/"))
        await asyncio.sleep(0.3)  # the child is inside the 1 s search
        extractor._process.kill()
        gone = await asyncio.gather(held, return_exceptions=True)
        after = await asyncio.gather(extractor.records("page", "<b>a</b>", ""),
                                     return_exceptions=True)
        await extractor.close()
        return gone[0], after[0], extractor.gone

    held, after, gone = asyncio.run(scenario())
    assert isinstance(held, ExtractorGone) and isinstance(after, ExtractorGone) and gone


def test_a_closed_extractor_leaves_no_process_behind() -> None:
    async def scenario() -> int | None:
        extractor = await ExtractorProcess.start({"page": BACKTRACKS})
        await extractor.records("page", "<b>a</b>", "")
        await extractor.close()
        return extractor._process.returncode

    assert asyncio.run(scenario()) == 0


@pytest.mark.parametrize("pages", [0, 3])
def test_the_child_says_ready_before_it_is_used(pages: int) -> None:
    async def scenario() -> bool:
        extractor = await ExtractorProcess.start({"page": BACKTRACKS})
        await asyncio.gather(*(extractor.records("page", "<b>a</b>", "") for _ in range(pages)))
        for _ in range(100):
            if extractor.ready:
                break
            await asyncio.sleep(0.05)
        await extractor.close()
        return extractor.ready

    assert asyncio.run(scenario())
