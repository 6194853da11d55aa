"""``python -m core extract``: no database, no user, JSON on stdout, ``error: …`` and exit 1."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.analysis.conftest import BUILDER
from tests.fixtures.server import FixtureServer

PRODUCT_SCHEMA = {"type": "object", "properties": {
    "name": {"type": "string"}, "price": {"type": "number"}, "currency": {"type": "string"},
    "sku": {"type": "string"}, "brand": {"type": "string"}, "gtin": {"type": "string"},
    "mpn": {"type": "string"},
    "availability": {"type": "string", "enum": ["InStock", "OutOfStock", "PreOrder"]}}}
LIST_SCHEMA = {"type": "object", "properties": {
    "title": {"type": "string"}, "cost": {"type": "number"}, "link": {"type": "string"},
    "stars": {"type": "number"}}}


def extract(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    # No DATABASE_URL is given: the command must not need one.
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment["DATABASE_URL"] = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    return subprocess.run([sys.executable, "-m", "core", "extract", *args], capture_output=True,
                          text=True, timeout=120, env={**environment, **(env or {})},
                          cwd=Path(__file__).resolve().parents[2])


@pytest.fixture
def product_schema(tmp_path: Path) -> str:
    path = tmp_path / "product.json"
    path.write_text(json.dumps(PRODUCT_SCHEMA))
    return str(path)


def test_a_detail_page_gives_one_object_typed_by_the_schema(product_schema: str) -> None:
    done = extract(str(BUILDER / "product-jsonld.html"), "--schema", product_schema)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "name": "Fjell Trekkingrucksack 45 L", "price": 1249.9, "currency": "EUR",
        "sku": "FJ-TR45-GRN", "brand": "Fjell", "gtin": "4250123456789", "mpn": "TR45-2024",
        "availability": "InStock"}


def test_a_gzipped_page_and_an_enum_value_mapped_to_the_nearest_member(
        tmp_path: Path, product_schema: str) -> None:
    page = tmp_path / "variants.html.gz"
    page.write_bytes(gzip.compress((BUILDER / "product-variants.html").read_bytes()))
    done = extract(str(page), "--schema", product_schema)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["availability"] == "InStock"  # LimitedAvailability is not in the enum
    assert (result["price"], result["sku"]) == (27.5, "DRIFT-MER-3-M")


def test_a_list_page_gives_a_list_and_schema_names_are_read_by_synonym(tmp_path: Path) -> None:
    schema = tmp_path / "list.json"
    schema.write_text(json.dumps(LIST_SCHEMA))
    done = extract(str(BUILDER / "catalog-2.html"), "--schema", str(schema),
                   "--url", "https://shop.example/outdoor/catalog?page=2")
    assert done.returncode == 0, done.stderr
    records = json.loads(done.stdout)
    assert len(records) == 5
    assert records[0] == {"title": "Glacier Insulated Bottle", "cost": 24.95,
                          "link": "https://shop.example/outdoor/p/glacier-insulated-bottle",
                          "stars": 4.7}


def test_config_runs_the_given_package(tmp_path: Path, product_schema: str) -> None:
    package = tmp_path / "package.json"
    package.write_text(json.dumps({"version": 1, "container": "li.product-card", "fields": {
        "name": {"selector": "h3", "transforms": ["strip"]},
        "stock": {"selector": ".product-card__stock", "transforms": ["availability"]}}}))
    done = extract(str(BUILDER / "catalog-1.html"), "--schema", product_schema,
                   "--config", str(package))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[2] == {"name": "Ridge Trekking Poles", "stock": "SoldOut"}


def test_a_url_is_fetched_under_the_fetcher_rules(product_schema: str) -> None:
    with FixtureServer() as server:
        url = f"{server.base_url}/jsonld/chair.html"
        refused = extract(url, "--schema", product_schema)
        allowed = extract(url, "--schema", product_schema,
                          env={"ALLOW_PRIVATE_ADDRESSES": "true"})
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: ") and "private" in refused.stderr.lower()
    assert allowed.returncode == 0, allowed.stderr
    assert json.loads(allowed.stdout)["sku"] == "CHR-201"


@pytest.mark.parametrize(("make", "message"), [
    (lambda d: (str(d / "missing.html"), None), "missing.html: no such file"),
    (lambda d: (str(BUILDER / "catalog-1.html"), "{not json"), "the schema is not valid JSON"),
    (lambda d: (str(BUILDER / "catalog-1.html"), '{"type": "object"}'),
     'the schema needs an object of "properties"'),
    (lambda d: (_write(d / "data.html", b"\x89PNG\r\n\x1a\n\x00\x00"), None),
     "not an HTML page"),
    (lambda d: (_write(d / "broken.html.gz", b"not gzip"), None), "not a readable gzip file"),
])
def test_bad_input_says_what_is_wrong_and_exits_2(tmp_path: Path, product_schema: str,
                                                  make, message: str) -> None:
    source, schema_text = make(tmp_path)
    schema = product_schema
    if schema_text is not None:
        schema = _write(tmp_path / "bad-schema.json", schema_text.encode())
    done = extract(source, "--schema", schema)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("error: ") and message in done.stderr


def _write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def test_an_invalid_package_names_each_problem(tmp_path: Path, product_schema: str) -> None:
    package = _write(tmp_path / "package.json",
                     b'{"version": 1, "fields": {"x": {"selector": "div["}}}')
    done = extract(str(BUILDER / "catalog-1.html"), "--schema", product_schema,
                   "--config", package)
    assert done.returncode == 2
    assert "error: The config package is not valid." in done.stderr
    assert "fields.x.selector: 'div[' is not a valid CSS selector" in done.stderr


def test_several_pages_print_json_lines_in_one_process(tmp_path: Path,
                                                       product_schema: str) -> None:
    missing = str(tmp_path / "gone.html")
    done = extract(str(BUILDER / "product-jsonld.html"), missing,
                   str(BUILDER / "product-plain.html"), "--schema", product_schema,
                   "--url", "https://shop.example/a", "--url", "https://shop.example/b",
                   "--url", "https://shop.example/c")
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["source"] for line in lines] == [
        str(BUILDER / "product-jsonld.html"), missing, str(BUILDER / "product-plain.html")]
    assert lines[0]["data"]["sku"] == "FJ-TR45-GRN" and lines[2]["data"]["sku"] == "ODB-CH-0042"
    assert lines[1] == {"source": missing, "error": f"{missing}: no such file."}
    assert done.returncode == 1  # the good pages are printed; the run says one failed
    assert "1 of 3 pages could not be read" in done.stderr


def test_explain_gives_each_field_s_evidence_and_plain_output_stays_the_same(
        product_schema: str) -> None:
    plain = extract(str(BUILDER / "product-plain.html"), "--schema", product_schema)
    explained = extract(str(BUILDER / "product-plain.html"), "--schema", product_schema,
                        "--explain")
    answer = json.loads(explained.stdout)
    assert answer["data"] == json.loads(plain.stdout)
    assert answer["path"] == "product"
    assert answer["evidence"]["sku"] == {"from": "label", "source": "label 'SKU'",
                                         "confidence": 0.8}
    assert set(answer["evidence"]) == {k for k, v in answer["data"].items() if v is not None}


def test_a_page_without_the_product_asked_for_says_so_on_stderr(product_schema: str) -> None:
    done = extract(str(BUILDER / "article-guide.html"), "--schema", product_schema)
    assert done.returncode == 0
    result = json.loads(done.stdout)
    assert result["price"] is None and result["sku"] is None
    assert "note: No product found on this page" in done.stderr


def test_url_must_be_given_once_per_page(product_schema: str) -> None:
    done = extract(str(BUILDER / "product-plain.html"), str(BUILDER / "product-jsonld.html"),
                   "--schema", product_schema, "--url", "https://shop.example/a")
    assert done.returncode == 2
    assert "Give --url once per page (2 pages, 1 --url)." in done.stderr


def test_pages_in_other_charsets_and_odd_starts_are_read(tmp_path: Path,
                                                         product_schema: str) -> None:
    latin2 = ('<html><head><meta http-equiv="Content-Type" content="text/html; '
              'charset=ISO-8859-2"><title>Łódź</title></head><body><h1>Zegarek Łódź</h1>'
              '<span class="price">129,00 zł</span><button>Dodaj do koszyka</button>'
              '</body></html>').encode("iso-8859-2")
    broken = ('<html><head><meta charset="utf-8"></head><body><h1>Żółw</h1>'
              '<span class="price">9,99 zł</span><button>Dodaj do koszyka</button>'
              '</body></html>').encode() + b"<!-- \xc3( -->"
    warning = b"<br />\n<b>Deprecated</b>: old code\n" + b" " * 5000 + \
        b"<div><h1>Lamp</h1><span class='price'>$5.00</span><button>Add to cart</button></div>"
    for name, data, title in (("latin2.html", latin2, "Zegarek Łódź"),
                              ("broken.html", broken, "Żółw"), ("warning.html", warning, "Lamp")):
        done = extract(_write(tmp_path / name, data), "--schema", product_schema)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["name"] == title


def test_json_ld_with_numbers_and_text_json_cannot_hold_prints_standard_json(
        tmp_path: Path, product_schema: str) -> None:
    # extruct reads a page's JSON-LD with Python's reader, which takes NaN and half a UTF-16 pair
    page = tmp_path / "odd.html"
    page.write_text('<html><head><script type="application/ld+json">{"@type": "Product", '
                    r'"name": "Vase \ud800 blue", "offers": {"price": NaN, "priceCurrency": "EUR"}}'
                    '</script></head><body><h1>Vase blue</h1><p class="price">12,50 €</p>'
                    '</body></html>')
    done = extract(str(page), "--schema", product_schema)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout, parse_constant=lambda name: pytest.fail(name))
    assert result["name"] == "Vase \ufffd blue" and result.get("price") in (None, 12.5)
