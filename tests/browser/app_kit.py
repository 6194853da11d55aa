"""Starting the app under test: ``running_app(root, extra_env)`` runs ``streamlit run app.py``
on a free port over a fresh database, with ``app_environment``'s settings. Importable from test
modules (``from app_kit import running_app``); this folder's conftest.py builds its fixtures
on it. (Not in conftest.py: ``from conftest import …`` picks whichever conftest.py pytest
imported last.)"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path

import pytest

from browser_kit import AppServer
from core.platform.settings import PROJECT_ROOT, Settings

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "browser-admin-pw-1"
STARTUP_TIMEOUT = 30.0

# App settings the developer's shell may hold: none leaks into the app under test, except the
# browser it should use.
_PASSED_THROUGH = {"CHROMIUM_PATH"}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=1) as response:
            return response.status == 200 and response.read().decode().strip() == "ok"
    except (urllib.error.URLError, OSError):
        return False


def app_environment(data_dir: Path, database_url: str) -> dict[str, str]:
    """The process environment with every app setting at its default, except these."""
    settings = {f.metadata["env"] for f in fields(Settings)} - _PASSED_THROUGH
    env = {k: v for k, v in os.environ.items() if k not in settings}
    env.update(
        DATABASE_URL=database_url, SCRAPEDECK_DATA_DIR=str(data_dir),
        ADMIN_EMAIL=ADMIN_EMAIL, ADMIN_PASSWORD=ADMIN_PASSWORD,
        AUTH_COOKIE_KEY="browser-tests-cookie-signing-key-0123456789",  # >= 32 bytes for HS256
        BCRYPT_ROUNDS="4", LOGIN_SLEEP_SECONDS="0",
        APP_STARTS_WORKER="false",  # no background worker: these tests start no runs
        PYTHONUNBUFFERED="1")
    return env


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@contextmanager
def running_app(root: Path, extra_env: Mapping[str, str] | None = None) -> Iterator[AppServer]:
    """``streamlit run app.py`` on a free port over a fresh database in ``root``; ``extra_env``
    adds to (or overrides) ``app_environment``."""
    data_dir = root / "data"
    data_dir.mkdir(parents=True)
    database_url = f"sqlite:///{data_dir / 'scrapedeck.db'}"
    env = app_environment(data_dir, database_url) | dict(extra_env or {})
    log_path = root / "streamlit.log"

    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = AppServer(base_url, ADMIN_EMAIL, ADMIN_PASSWORD, data_dir, database_url, log_path)
    with log_path.open("wb") as log:  # the child keeps its own handle
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false"],
            cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT)
    try:
        # While Streamlit boots (it touches no database before a browser connects): migrate
        # and create the admin, so a broken setup fails here with its own message and the
        # first page load does not pay for the migrations.
        init = subprocess.run([sys.executable, "-m", "core", "init"], cwd=PROJECT_ROOT, env=env,
                              capture_output=True, text=True, timeout=60)
        if init.returncode != 0:
            pytest.fail(f"python -m core init failed ({init.returncode}):\n{init.stdout}"
                        f"{init.stderr}", pytrace=False)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _healthy(base_url):
            if process.poll() is not None:
                pytest.fail(f"streamlit exited with {process.returncode} before it was healthy:"
                            f"\n{server.log_tail()}", pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit not healthy after {STARTUP_TIMEOUT:.0f} s:\n"
                            f"{server.log_tail()}", pytrace=False)
            time.sleep(0.1)
        yield server
    finally:
        _stop(process)
