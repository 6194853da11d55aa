"""Every setting ScrapeDeck reads, in one place, from environment variables.

Each field names its environment variable and says what it does; the README's configuration
table lists the same variables (a test keeps the two in step). Nothing else in the code reads
``os.environ`` for configuration.

    from core.platform.settings import get_settings
    settings = get_settings()
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _setting(env: str, default: Any, doc: str) -> Any:
    return field(default=default, metadata={"env": env, "doc": doc})


@dataclass(frozen=True)
class Settings:
    data_dir: Path = _setting(
        "SCRAPEDECK_DATA_DIR", PROJECT_ROOT / "data",
        "Folder for the SQLite database, exports and the generated cookie key.")
    database_url: str = _setting(
        "DATABASE_URL", "",
        "SQLAlchemy URL. Empty means SQLite at `$SCRAPEDECK_DATA_DIR/scrapedeck.db`. "
        "PostgreSQL: `postgresql+psycopg://user@host:5432/db`.")
    admin_email: str = _setting(
        "ADMIN_EMAIL", "admin@scrapedeck.local",
        "Email of the admin account created on first start when no user exists.")
    admin_password: str = _setting(
        "ADMIN_PASSWORD", "",
        "Password for that first admin. Empty: one is generated and printed once in the terminal.")
    auth_cookie_name: str = _setting(
        "AUTH_COOKIE_NAME", "scrapedeck_auth", "Name of the browser cookie that keeps a user signed in.")
    auth_cookie_key: str = _setting(
        "AUTH_COOKIE_KEY", "",
        "Secret that signs the sign-in cookie. Empty: a random key is generated once and kept in "
        "`$SCRAPEDECK_DATA_DIR/cookie.key`.")
    auth_cookie_expiry_days: float = _setting(
        "AUTH_COOKIE_EXPIRY_DAYS", 7.0, "Days a sign-in cookie stays valid.")
    login_max_failures: int = _setting(
        "LOGIN_MAX_FAILURES", 5,
        "Failed sign-ins for one email from one address, within the window, that lock that email "
        "for that address (another address can still sign in to it).")
    login_max_failures_per_address: int = _setting(
        "LOGIN_MAX_FAILURES_PER_ADDRESS", 20,
        "Failed sign-ins from one client address, whatever the emails, within the window, that "
        "lock that address out of every account.")
    login_window_minutes: int = _setting(
        "LOGIN_WINDOW_MINUTES", 15, "Window, in minutes, over which failed sign-ins are counted.")
    login_lock_minutes: int = _setting(
        "LOGIN_LOCK_MINUTES", 15,
        "Minutes an email (for one address), or an address, stays locked after too many failures.")
    bcrypt_rounds: int = _setting(
        "BCRYPT_ROUNDS", 12, "bcrypt cost factor for new password hashes (tests use 4).")
    login_sleep_seconds: float = _setting(
        "LOGIN_SLEEP_SECONDS", 0.0,
        "Pause before the sign-in form shows (streamlit-authenticator's anti-flicker wait).")
    chromium_path: str = _setting(
        "CHROMIUM_PATH", "/usr/lib/chromium/chromium",
        "Chromium binary for JavaScript rendering and browser tests; if missing, Playwright's own "
        "browser is used.")
    allow_private_addresses: bool = _setting(
        "ALLOW_PRIVATE_ADDRESSES", False,
        "Allow target URLs on private, loopback and link-local addresses (tests, intranets).")
    allowed_private_networks: str = _setting(
        "ALLOWED_PRIVATE_NETWORKS", "",
        "Comma-separated addresses or networks (`10.1.0.0/16, 127.0.0.1`) allowed even though "
        "they are not public, while every other private address stays refused.")
    user_agent: str = _setting(
        "SCRAPEDECK_USER_AGENT", "ScrapeDeck/0.1 (+https://github.com/scrapedeck)",
        "Default User-Agent for fetches; a job can override it.")
    fetch_timeout_seconds: float = _setting(
        "FETCH_TIMEOUT_SECONDS", 30.0,
        "Longest one request (or one JavaScript render) may take, start to last byte; a job "
        "can override it.")
    fetch_max_retries: int = _setting(
        "FETCH_MAX_RETRIES", 3,
        "Retries after a timeout, a connection error, HTTP 408, 429 or 5xx (so up to 1 + this many "
        "attempts per URL).")
    fetch_backoff_seconds: float = _setting(
        "FETCH_BACKOFF_SECONDS", 1.0,
        "First retry waits about this long; each further retry doubles it (with random jitter).")
    fetch_retry_after_max_seconds: float = _setting(
        "FETCH_RETRY_AFTER_MAX_SECONDS", 60.0,
        "Cap on any wait before a retry, including a server's `Retry-After`.")
    fetch_delay_seconds: float = _setting(
        "FETCH_DELAY_SECONDS", 1.0,
        "Politeness delay: least time between two requests to the same host; a job can "
        "override it.")
    fetch_concurrency: int = _setting(
        "FETCH_CONCURRENCY", 8, "Requests in flight at once for one run, all hosts together.")
    fetch_domain_concurrency: int = _setting(
        "FETCH_DOMAIN_CONCURRENCY", 2, "Requests in flight at once to any one host.")
    fetch_max_bytes: int = _setting(
        "FETCH_MAX_BYTES", 10_000_000,
        "Largest page accepted, in bytes after decompression; a bigger one is cut off and "
        "recorded as an error.")
    fetch_max_redirects: int = _setting(
        "FETCH_MAX_REDIRECTS", 10, "Redirects followed for one URL before giving up.")
    seo_crawl_max_pages: int = _setting(
        "SEO_CRAWL_MAX_PAGES", 5000,
        "Upper bound on the pages one SEO site crawl may fetch (a crawl asks for 1 up to this).")
    seo_crawl_max_depth: int = _setting(
        "SEO_CRAWL_MAX_DEPTH", 20,
        "Clicks from the start page beyond which an SEO crawl follows no more links.")
    seo_crawl_deep_page_clicks: int = _setting(
        "SEO_CRAWL_DEEP_PAGE_CLICKS", 4,
        "A page more clicks than this from the start page is reported as too deep.")

    advisor_aws_docs_base: str = _setting(
        "ADVISOR_AWS_DOCS_BASE", "https://docs.aws.amazon.com",
        "Base URL of the AWS documentation the architecture advisor cites (the catalogue's page "
        "paths are appended to it).")
    advisor_azure_docs_base: str = _setting(
        "ADVISOR_AZURE_DOCS_BASE", "https://learn.microsoft.com",
        "Base URL of the Azure documentation the architecture advisor cites.")
    advisor_run_timeout_seconds: float = _setting(
        "ADVISOR_RUN_TIMEOUT_SECONDS", 300.0,
        "Longest one advisor provider run may take; past it the run stops with `timeout`.")

    executor: str = _setting(
        "EXECUTOR", "local",
        "`local`: starting a run, a build, an SEO crawl or an SEO audit spawns a worker process on "
        "this machine. `queue`: they are only queued; `python -m core.worker serve` processes (any "
        "number, on any machine) claim them.")
    app_starts_worker: bool = _setting(
        "APP_STARTS_WORKER", True,
        "With `EXECUTOR=local`, the app starts one background `core.worker serve` (it runs due "
        "schedules and any queued run no worker took) and stops it when the app exits.")
    warm_commands: bool = _setting(
        "SCRAPEDECK_WARM_COMMANDS", True,
        "A `core.worker serve` answers the `python -m core` commands run on its machine for the "
        "same data folder and database: a fork of it, with everything loaded, runs each one "
        "(half a second less start-up). `0`: every command runs in a process of its own.")
    run_heartbeat_seconds: float = _setting(
        "RUN_HEARTBEAT_SECONDS", 1.0,
        "How often a worker writes its heartbeat, progress counters and results.")
    run_stale_after_seconds: float = _setting(
        "RUN_STALE_AFTER_SECONDS", 30.0,
        "A running run, build, SEO crawl or SEO audit whose heartbeat is older than this is "
        "marked failed (its worker died).")
    worker_poll_seconds: float = _setting(
        "WORKER_POLL_SECONDS", 1.0, "How often `core.worker serve` starts due schedules and tidies "
        "up after dead workers (it looks for queued work every 0.25 s).")

    build_sample_max_bytes: int = _setting(
        "BUILD_SAMPLE_MAX_BYTES", 2_000_000,
        "Largest sample page a build keeps (an uploaded HTML file, or a fetched page, which is "
        "cut to this size); up to 10 samples per build are stored in the database.")

    export_ttl_hours: float = _setting(
        "EXPORT_TTL_HOURS", 24.0,
        "Hours an export file stays downloadable; after that it is deleted from "
        "`$SCRAPEDECK_DATA_DIR/exports`.")

    secret_key: str = _setting(
        "SCRAPEDECK_SECRET_KEY", "",
        "Secret that encrypts stored API keys (any long random text). Empty: a random key is "
        "generated once and kept in `$SCRAPEDECK_DATA_DIR/secret.key`. Changing it makes saved "
        "keys unreadable: users are asked to enter them again.")
    llm_timeout_seconds: float = _setting(
        "LLM_TIMEOUT_SECONDS", 60.0,
        "Default longest wait for one model answer; each provider can set its own.")
    llm_test_timeout_seconds: float = _setting(
        "LLM_TEST_TIMEOUT_SECONDS", 15.0,
        "Longest wait for the model provider's \"Test connection\" call (which is not retried).")
    llm_max_retries: int = _setting(
        "LLM_MAX_RETRIES", 2,
        "Retries of a model call after a connection error, HTTP 429 or 5xx (a timeout is not "
        "retried: it already took the whole wait allowed).")
    llm_retry_max_wait_seconds: float = _setting(
        "LLM_RETRY_MAX_WAIT_SECONDS", 20.0,
        "Cap on any wait before retrying a model call, including the provider's `Retry-After`.")
    agent_timeout_seconds: float = _setting(
        "AGENT_TIMEOUT_SECONDS", 30.0,
        "Longest one call to an external agent may take, start to last byte.")
    agent_max_retries: int = _setting(
        "AGENT_MAX_RETRIES", 2,
        "Retries of an agent call after a connection error, a timeout, HTTP 429 or 5xx.")
    agent_backoff_seconds: float = _setting(
        "AGENT_BACKOFF_SECONDS", 1.0,
        "First wait before retrying an agent call; it doubles on each retry.")
    agent_max_response_bytes: int = _setting(
        "AGENT_MAX_RESPONSE_BYTES", 5_000_000,
        "Largest answer read from an agent (or an agent card); a larger one fails the call.")

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'scrapedeck.db'}"

    @property
    def exports_dir(self) -> Path:
        """Where export files are written (and served from by the download button)."""
        return self.data_dir / "exports"

    @property
    def seo_reports_dir(self) -> Path:
        """Where PDF exports of SEO reports are written."""
        return self.data_dir / "seo_reports"

    @property
    def advisor_pdfs_dir(self) -> Path:
        """Where PDF exports of architecture-advisor questions are written."""
        return self.data_dir / "advisor_pdfs"


def _convert(raw: str, kind: Any) -> Any:
    if kind in (bool, "bool"):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if kind in (int, "int"):
        return int(raw)
    if kind in (float, "float"):
        return float(raw)
    if kind in (Path, "Path"):
        return Path(raw).expanduser()
    return raw


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from ``environ`` (default: the process environment)."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in fields(Settings):
        raw = environ.get(f.metadata["env"])
        if raw is not None and raw != "":
            try:
                values[f.name] = _convert(raw, f.type)
            except ValueError as exc:
                raise ValueError(f"{f.metadata['env']}={raw!r} is not a valid {f.type}") from exc
    return Settings(**values)


@functools.cache
def get_settings() -> Settings:
    return load_settings()
