"""Reaching the server's own network through ScrapeDeck (SSRF): every spelling of a private
address, a JSON Schema ``$ref``, a model endpoint, and a rendered page's own requests are
refused, with a message, by the one URL policy (``core.scrape.urls``).

The hostile site (127.0.0.1) is the one address allowed (``ALLOWED_PRIVATE_NETWORKS``), as a
public site would be; the internal service on 127.0.0.2 plays the private network, and records
every request that reaches it: the tests assert it got none.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import time
import uuid
from collections.abc import Iterator

import pytest

from core.llm.client import ChatClient, ProviderConfig
from core.llm.errors import ModelRefused
from core.platform.errors import ValidationError
from core.platform.settings import get_settings
from core.scrape.dom import parse_html
from core.scrape.fetch import Fetcher
from core.scrape.options import FetchOptions
from core.scrape.urls import address_problem, check_target_url, origin
from core.scraping import jobs, runs, schemas
from core.scraping.jobs import JobInput
from core.scraping.schemas import SchemaInput
from core.seo import crawls
from db.models import ExtractorSchema, Result, Run, RunResult
from tests.conftest import chromium_or_skip
from tests.hostile.hostile_site import (PRODUCTS, HostileSite, InternalService, run_worker,
                                        worker_env)

# Each names 127.0.0.1 (or 169.254.169.254, the cloud metadata address) in another way.
DISGUISED = [
    "http://2130706433/",                # one decimal number
    "http://0x7f.1/",                    # hexadecimal, two parts
    "http://127.1/",                     # two parts
    "http://017700000001/",              # octal
    "http://0177.0.0.1/",                # octal first part
    "http://localhost./",                # a trailing dot
    "http://api.localhost/",             # a .localhost name
    "http://[::ffff:127.0.0.1]/",        # IPv4-mapped
    "http://[::127.0.0.1]/",             # IPv4-compatible
    "http://[2002:7f00:1::]/",           # 6to4 of 127.0.0.1
    "http://[2002:a9fe:a9fe::1]/",       # 6to4 of 169.254.169.254
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",  # Teredo, client 127.0.0.1
    "http://[64:ff9b::7f00:1]/",         # NAT64 of 127.0.0.1
    "http://[64:ff9b::a9fe:a9fe]/",      # NAT64 of 169.254.169.254
    "http://[64:ff9b:1::a00:1]/",        # local-use NAT64 of 10.0.0.1
]
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture(scope="module")
def site() -> Iterator[HostileSite]:
    with HostileSite() as server:
        yield server


@pytest.fixture
def internal() -> Iterator[InternalService]:
    with InternalService() as server:
        yield server


@pytest.fixture
def policy_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No private address allowed but the hostile site's; runs are only queued."""
    for name, value in {"ALLOW_PRIVATE_ADDRESSES": "0", "ALLOWED_PRIVATE_NETWORKS": "127.0.0.1",
                        "EXECUTOR": "queue", "FETCH_DELAY_SECONDS": "0",
                        "FETCH_TIMEOUT_SECONDS": "5", "RUN_HEARTBEAT_SECONDS": "0.2"}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def nothing_private(policy_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Not even the hostile site: the disguises below all mean 127.0.0.1 (or worse)."""
    monkeypatch.setenv("ALLOWED_PRIVATE_NETWORKS", "")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def fetch_error(url: str) -> str | None:
    async def fetch() -> str | None:
        async with Fetcher(FetchOptions(max_retries=0, delay=0, respect_robots=False)) as fetcher:
            return (await fetcher.fetch(url)).error

    return asyncio.run(fetch())


# --- DNS rebinding -------------------------------------------------------------------------------

def _private_name() -> str:
    """This machine's host name, which resolves to one of its own (non-public) addresses."""
    name = socket.gethostname()
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(name, None)}
    except socket.gaierror:
        pytest.skip(f"this machine's host name {name!r} does not resolve")
    if not any(address_problem(ipaddress.ip_address(a.split("%")[0])) for a in addresses):
        pytest.skip(f"{name!r} resolves to public addresses only")
    return name


@pytest.mark.usefixtures("nothing_private")
def test_a_host_that_resolves_to_a_private_address_as_it_is_connected_to_is_refused(
        site) -> None:
    # DNS rebinding: the check before the request was answered a public address (the fetcher
    # then trusts the host a while: modelled by that trust), the connection's own lookup a
    # private one. The fetcher judges the addresses it connects to as well.
    name = _private_name()
    port = site.port
    url = f"http://{name}:{port}/page"

    async def fetch() -> tuple[str | None, int]:
        async with Fetcher(FetchOptions(max_retries=2, delay=0, respect_robots=False)) as f:
            f._public_hosts[origin(url)] = time.monotonic() + 60
            result = await f.fetch(url)
        return result.error, result.attempts

    hits = sum(site.hits.values())
    error, attempts = asyncio.run(fetch())
    assert error is not None and error.startswith(f"host {name!r} resolved to ")
    assert "as the connection was made" in error and "refused" in error
    assert attempts == 1 and sum(site.hits.values()) == hits  # not retried, nothing reached


@pytest.fixture
def checked_before_as_if_public(monkeypatch: pytest.MonkeyPatch) -> None:
    """The agent and model clients' check before each request judges the URL as written (as if
    DNS had answered it a public address then): what is left is the connection's own lookup."""
    import core.agents.http
    import core.llm.client

    for module in (core.agents.http, core.llm.client):
        monkeypatch.setattr(module, "check_target_url",
                            functools.partial(check_target_url, resolve=False))


@pytest.mark.usefixtures("nothing_private", "checked_before_as_if_public")
def test_an_agent_or_model_endpoint_that_resolves_privately_as_it_is_connected_to_is_refused(
        site) -> None:
    from core.agents.http import post_json

    name = _private_name()
    hits = sum(site.hits.values())
    answer = post_json(f"http://{name}:{site.port}/v1/chat/completions", {"job": 1})
    assert answer.error is not None
    assert answer.error.startswith(f"refused: host {name!r} resolved to ")
    config = ProviderConfig("Rebound", f"http://{name}:{site.port}/v1", "m", api_key="sk-x",
                            timeout=5)
    with ChatClient(config, max_retries=2) as client, \
            pytest.raises(ModelRefused, match="as the connection was made"):
        client.complete([{"role": "user", "content": "hello"}])
    assert sum(site.hits.values()) == hits  # neither reached it


# --- Address forms: the same refusal at creation and at fetch ---------------------------------------

@pytest.mark.usefixtures("nothing_private")
@pytest.mark.parametrize("url", DISGUISED)
def test_a_disguised_private_address_is_refused_when_the_job_is_saved_and_when_fetched(
        db, analyst, url: str) -> None:
    with db.transaction() as session, pytest.raises(ValidationError) as refused:
        jobs.create_job(session, analyst, JobInput(name="x", target_urls=[url],
                                                   config_package=PRODUCTS))
    [problem] = refused.value.problems
    assert "address" in problem and "ALLOW_PRIVATE_ADDRESSES" in problem
    # One check, the same function: the fetcher gives the very same message.
    assert problem == f"target_urls: {fetch_error(url)}"


@pytest.mark.usefixtures("nothing_private")
@pytest.mark.parametrize("url", ["http://0x7f.1:5432/", "http://[2002:a9fe:a9fe::1]/latest"])
def test_seo_crawls_and_audits_refuse_them_too(db, analyst, url: str) -> None:
    from core.seo import reports

    with pytest.raises(ValidationError) as crawl:
        crawls.check_options(url, 10, None)
    assert "address" in str(crawl.value.problems)
    with db.transaction() as session, pytest.raises(ValidationError, match="address"):
        reports.request_audit(session, analyst, url, render=False, spawn=False)


@pytest.mark.usefixtures("nothing_private")
def test_a_model_endpoint_in_disguise_is_refused_before_any_request(site) -> None:
    config = ProviderConfig("Sneaky", f"http://0x7f.1:{site.port}/v1", "m", api_key="sk-x",
                            timeout=5)
    before = site.hits["/v1/chat/completions"]
    with ChatClient(config, max_retries=0) as client, pytest.raises(ModelRefused, match="refused"):
        client.complete([{"role": "user", "content": "hello"}])
    assert site.hits["/v1/chat/completions"] == before


# --- JSON Schema $ref ---------------------------------------------------------------------------------

@pytest.mark.usefixtures("policy_env")
@pytest.mark.parametrize("path", ["/schema/ref.json", "/schema/not-json"])
def test_a_remote_ref_is_refused_when_the_schema_is_saved_and_nothing_is_fetched(
        db, analyst, site, path: str) -> None:
    definition = {"type": "object", "properties": {"name": {"$ref": site.url(path)}}}
    before = site.hits[path]
    with db.transaction() as session, pytest.raises(ValidationError) as refused:
        schemas.create_schema(session, analyst, SchemaInput("Remote", definition))
    assert (f"$.properties.name.$ref: {site.url(path)!r} points outside the schema; only "
            "references inside it (\"#/$defs/name\", \"#anchor\") are allowed, so nothing is "
            "ever fetched") in refused.value.problems[0]
    assert site.hits[path] == before


def stored_before_the_rule(db, owner, definition) -> uuid.UUID:  # type: ignore[no-untyped-def]
    """A schema row as an older version saved it, without today's checks."""
    with db.transaction() as session:
        row = ExtractorSchema(user_id=owner.id, family_id=uuid.uuid4(), version=1, name="Old",
                              schema_definition=definition, strict_validation=False)
        session.add(row)
        session.flush()
        return row.id


@pytest.mark.usefixtures("policy_env")
def test_a_stored_schema_with_a_remote_ref_never_fetches_and_never_crashes(
        db, analyst, site) -> None:
    schema_id = stored_before_the_rule(db, analyst, {
        "type": "object", "properties": {"name": {"$ref": site.url("/schema/not-json")}}})
    before = site.hits["/schema/not-json"]
    with db.transaction() as session:
        check = schemas.try_sample(session, analyst, schema_id, '{"name": "Lamp"}')
    assert not check.valid
    assert "the schema cannot be applied" in check.violations[0].message
    assert site.hits["/schema/not-json"] == before


@SQLITE_ONLY
@pytest.mark.usefixtures("policy_env", "app_env")
def test_a_run_validating_against_such_a_schema_keeps_every_page(db, analyst, site) -> None:
    schema_id = stored_before_the_rule(db, analyst, {
        "type": "object", "properties": {"name": {"$ref": site.url("/schema/not-json")}}})
    with db.transaction() as session:
        job = jobs.create_job(session, analyst, JobInput(
            name="validated", target_urls=[site.url("/page")], config_package=PRODUCTS,
            extractor_schema_id=schema_id, options={"respect_robots": False}))
    with db.transaction() as session:
        run_id = runs.start_run(session, analyst, job.id).id
    before = site.hits["/schema/not-json"]
    worker = run_worker(["run", str(run_id)], env=worker_env(), timeout=60)
    assert worker.returncode == 0, worker.stderr
    with db.transaction() as session:
        run = session.get(Run, run_id)
        errors = [r.error for r in session.query(RunResult).filter_by(run_id=run_id)]
        stored = session.query(Result).filter_by(run_id=run_id).count()
    assert run.status == "completed" and errors == [None]  # no "internal error" page
    assert stored == 3  # not strict: items are kept, flagged by the violation
    assert site.hits["/schema/not-json"] == before


# --- Rendering: Chromium's own requests -------------------------------------------------------------

def render(url: str, **options) -> tuple[object, float]:  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        settings = dict(allow_private=False, allowed_networks="127.0.0.1", delay=0,
                        respect_robots=False, timeout=15, max_retries=0)
        async with Fetcher(FetchOptions(**{**settings, **options})) as fetcher:
            result = await fetcher.render(url)
            await asyncio.sleep(0.5)  # anything still on its way would arrive now
            return result

    started = time.monotonic()
    with chromium_or_skip():
        return asyncio.run(go()), time.monotonic() - started


@pytest.mark.usefixtures("policy_env")
def test_a_rendered_page_cannot_reach_the_private_network(site, internal) -> None:
    result, _ = render(site.url(f"/render/reach?internal={internal.base_url}"))
    assert result.ok, result.error
    # The page itself rendered (its script ran)…
    document = parse_html(result.text)
    assert [n.text() for n in document.root.css("div.product h2")] == ["Rendered"]
    # …but none of its fetch(), XHR, WebSocket, beacon, stylesheet, iframes or redirected
    # script reached the internal service.
    assert internal.requests == []


@pytest.mark.usefixtures("policy_env")
def test_a_rendered_main_document_redirect_into_the_private_network_is_refused(
        site, internal) -> None:
    result, _ = render(site.url(f"/redirect?to={internal.url('/admin')}"))
    assert result.error and result.error.startswith(
        f"redirect from {site.url('/redirect?to=' + internal.url('/admin'))} refused:")
    assert "127.0.0.2 is a loopback address" in result.error
    assert internal.requests == []


@pytest.mark.usefixtures("policy_env")
def test_a_rendered_redirect_to_the_metadata_address_is_refused(site) -> None:
    result, _ = render(site.url("/redirect?to=http://169.254.169.254/latest/meta-data/"))
    assert result.error and "169.254.169.254 is a link-local address" in result.error


@pytest.mark.usefixtures("policy_env")
def test_an_allowed_redirect_is_followed_and_the_page_keeps_its_real_url(site) -> None:
    result, _ = render(site.url("/redirect?to=/page"))
    assert result.ok, result.error
    assert result.final_url == site.url("/page") and result.redirects == [site.url("/page")]
    assert "Lamp" in result.text
