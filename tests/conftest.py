"""Shared fixtures. Every service test runs on SQLite and on PostgreSQL (a fresh database per
test session; tables emptied after each test). The PostgreSQL variants need ``TEST_DATABASE_URL``:
without it they are collected and reported as skipped, with that reason. A test that only makes
sense on some backends says so: ``@pytest.mark.backends("postgresql")``.

With ``TEST_DATABASE_URL`` set, an unreachable PostgreSQL fails the run: it never skips.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

# Some machines set PYTHONDONTWRITEBYTECODE: every worker, CLI and app process a test starts
# would then compile the project's modules again (~0.2 s of CPU each, hundreds of processes).
# The suite's processes keep their bytecode in __pycache__ as any checkout does (git ignores it).
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core.platform.access import Actor
from core.cli import main
from core.platform.database import Database, open_database
from core.platform.errors import ScrapeDeckError
from core.platform.settings import get_settings
from core.accounts.users import actor_of
from core.accounts.passwords import hash_password
from db.migrate import upgrade
from db.models import Base, ExtractorSchema, ScrapingJob, User
from tests.fixtures.agent_server import AgentServer
from tests.fixtures.seo_server import SeoSiteServer
from tests.fixtures.server import FixtureServer

PASSWORD = "correct-horse-1"
BACKENDS = ("sqlite", "postgresql")
NO_POSTGRESQL = "PostgreSQL variant: set TEST_DATABASE_URL to run it"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once keeps tests fast)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@contextlib.contextmanager
def migrated_postgres_database(prefix: str) -> Iterator[str]:
    """A new database on TEST_DATABASE_URL's server, migrated to head, dropped on leaving."""
    admin_url = make_url(os.environ["TEST_DATABASE_URL"])
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:  # fails loudly when the server is not there
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = admin_url.set(database=name).render_as_string(hide_password=False)
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session, dropped at the end."""
    with migrated_postgres_database("scrapedeck_test") as url:
        yield url


@contextlib.contextmanager
def chromium_or_skip() -> Iterator[None]:
    """Around a render: skip the test when Chromium cannot start (a ScrapeDeckError), unless
    REQUIRE_BROWSER_TESTS is set: then it fails, so CI never goes green by skipping."""
    try:
        yield
    except ScrapeDeckError as exc:
        if browser_tests_required():
            raise
        pytest.skip(str(exc))


def browser_tests_required() -> bool:
    return os.environ.get("REQUIRE_BROWSER_TESTS", "").strip().lower() in {"1", "true", "yes"}


def _empty_tables(database: Database) -> None:
    with database.transaction() as session:
        names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        session.execute(text(f"TRUNCATE {names} CASCADE"))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "postgresql" and not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip(NO_POSTGRESQL)
    if request.param == "sqlite":
        path = tmp_path / "scrapedeck.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_url")
    yield url
    cleanup = open_database(url, migrate=False)
    _empty_tables(cleanup)
    cleanup.dispose()


@pytest.fixture
def app_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point settings (and so the app and the CLI) at the test database."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SCRAPEDECK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ADMIN_EMAIL", "admin@example.com")
    monkeypatch.setenv("ADMIN_PASSWORD", PASSWORD)
    monkeypatch.setenv("APP_STARTS_WORKER", "0")  # tests start the workers they need
    monkeypatch.setenv("AUTH_COOKIE_KEY", "test-cookie-key-of-at-least-32-bytes!")
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = open_database(database_url, migrate=False)
    yield database
    database.dispose()


@pytest.fixture
def make_user(db: Database):  # type: ignore[no-untyped-def]
    """``make_user("analyst")`` → an Actor with password ``PASSWORD``."""
    def make(role: str = "analyst", email: str | None = None, name: str = "") -> Actor:
        email = email or f"{role}-{uuid.uuid4().hex[:6]}@example.com"
        with db.transaction() as session:
            user = User(email=email, name=name or email.split("@")[0], role=role,
                        password_hash=hash_password(PASSWORD))
            session.add(user)
            session.flush()
            return actor_of(user)
    return make


@pytest.fixture
def admin(make_user) -> Actor:  # type: ignore[no-untyped-def]
    return make_user("admin")


@pytest.fixture
def analyst(make_user) -> Actor:  # type: ignore[no-untyped-def]
    return make_user("analyst")


@pytest.fixture
def viewer(make_user) -> Actor:  # type: ignore[no-untyped-def]
    return make_user("viewer")


@pytest.fixture
def cli(app_env, capsys):  # type: ignore[no-untyped-def]
    """The command line, run in-process against the test database (``init`` done):
    ``cli("--user", email, "schemas", "list")`` → (exit status, stdout, stderr)."""
    def run(*args: str) -> tuple[int, str, str]:
        status = main(list(args))
        out, err = capsys.readouterr()
        return status, out, err
    assert run("init")[0] == 0
    return run


# --- Scraping: the fixture web site and jobs over it -------------------------------------

PRODUCTS = {
    "version": 1,
    "container": "div.product",
    "fields": {
        "name": {"selector": "h2.name", "transforms": ["strip"], "required": True},
        "price": {"selector": ".price", "transforms": ["price"]},
        "sku": {"selector": None, "take": "attr", "attribute": "data-sku"},
    },
}


@pytest.fixture(scope="session")
def site() -> Iterator[str]:
    with FixtureServer() as server:
        yield server.base_url


@pytest.fixture(scope="session")
def seo_site() -> Iterator[SeoSiteServer]:
    """The site with planted SEO problems that crawl tests crawl (tests/fixtures/seo_site)."""
    with SeoSiteServer() as server:
        yield server


@pytest.fixture(scope="session")
def agent_server() -> Iterator[AgentServer]:
    """Agents good and bad on 127.0.0.1 (tests/fixtures/agent_server.py)."""
    with AgentServer() as server:
        yield server


@pytest.fixture
def local_fetching(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fixture site is on 127.0.0.1; no politeness delay in tests."""
    monkeypatch.setenv("ALLOW_PRIVATE_ADDRESSES", "1")
    monkeypatch.setenv("FETCH_DELAY_SECONDS", "0")
    monkeypatch.setenv("FETCH_BACKOFF_SECONDS", "0.05")
    monkeypatch.setenv("RUN_HEARTBEAT_SECONDS", "0.2")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def make_job(db, site) -> Callable[..., uuid.UUID]:  # type: ignore[no-untyped-def]
    def make(owner, *, url: str = "/catalog/page1.html", package=PRODUCTS, pagination=None,
             schema_id=None, **options) -> uuid.UUID:  # type: ignore[no-untyped-def]
        pagination = pagination or {"type": "next_button", "selector": "a.next"}
        kind = pagination.pop("type")
        with db.transaction() as session:
            job = ScrapingJob(user_id=owner.id, name=f"job-{uuid.uuid4().hex[:6]}",
                              target_url=site + url, target_urls=[site + url],
                              pagination_type=kind, pagination=pagination, config_package=package,
                              extractor_schema_id=schema_id,
                              options={"max_pages": 50, "concurrency": 4, **options})
            session.add(job)
            session.flush()
            return job.id
    return make


@pytest.fixture
def fresh_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A database of the test's own, nothing in it since ``alembic upgrade head`` (for tests
    that migrate it down and up again, or read what a migration wrote)."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
        upgrade(url)
        yield url
        return
    with migrated_postgres_database("scrapedeck_fresh") as url:
        yield url


def slow_pages_job(session, owner, site: str, *, name: str = "slow pages",
                   **options) -> uuid.UUID:  # type: ignore[no-untyped-def]
    """A job over 20 fixture pages that each take 0.3 s, one at a time: long enough for a
    budget, a plan or a cap to stop its run midway. ``options`` add to the job's options."""
    urls = [f"{site}/slow?s=0.3&i={i}" for i in range(20)]
    job = ScrapingJob(user_id=owner.id, name=name, target_url=urls[0], target_urls=urls,
                      pagination_type="none", pagination={},
                      config_package={"version": 1, "container": "body",
                                      "fields": {"title": {"selector": "h1"}}},
                      options={"max_pages": 50, "concurrency": 1, **options})
    session.add(job)
    session.flush()
    return job.id


def prices_at_most_100_schema(db: Database, owner: Actor) -> uuid.UUID:
    """A strict extractor schema whose ``price`` may be at most 100: the fixture catalog has
    dearer lamps, so some items of every run fail it."""
    with db.transaction() as session:
        schema = ExtractorSchema(
            user_id=owner.id, family_id=uuid.uuid4(), version=1, name="cheap",
            schema_definition={"type": "object",
                               "properties": {"price": {"type": "number", "maximum": 100}}},
            strict_validation=True, allow_extra_fields=True)
        session.add(schema)
        session.flush()
        return schema.id


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``@pytest.mark.backends("postgresql")``: the test gets only those ``database_url``
    variants (a parametrize mark, so it runs before the fixture's own parametrisation)."""
    marker = metafunc.definition.get_closest_marker("backends")
    if marker is None:
        return
    unknown = set(marker.args) - set(BACKENDS)
    if unknown or not marker.args or "database_url" not in metafunc.fixturenames:
        raise pytest.UsageError(f"{metafunc.definition.nodeid}: backends{marker.args} needs "
                                f"names from {BACKENDS} and a test that uses database_url")
    metafunc.definition.add_marker(
        pytest.mark.parametrize("database_url", list(marker.args), indirect=True))


def pytest_configure(config: pytest.Config) -> None:
    # Cheap password hashes: the cost factor is a setting, and tests hash many passwords.
    os.environ.setdefault("BCRYPT_ROUNDS", "4")
    get_settings.cache_clear()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Browser tests are the slowest: run them last, so a broken service shows up first.
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
