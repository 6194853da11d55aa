"""What a worker or a command loads at start, and how `serve` hands queued runs on: the start-up
work of issue 16 (no Alembic when the schema is current, no pandas or slow transform libraries in a worker,
queued runs executed by a warm `serve`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from core.platform.database import open_database
from core.platform.settings import PROJECT_ROOT, get_settings
from core.scraping import runs
from core.worker import claim_and_execute
from db.migrate import at_head
from db.models import Run

HEAVY = ("alembic", "pandas", "dateparser", "price_parser")


def _loaded_after(code: str, env: dict[str, str], modules: tuple[str, ...] = HEAVY) -> list[str]:
    """The ``modules`` (HEAVY ones unless told) a fresh interpreter has loaded after running
    ``code``."""
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {modules!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.splitlines()[-1].split()  # the last line: what the code printed comes first


def test_opening_a_new_database_migrates_it(tmp_path: Path) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'new.db'}")
    with database.transaction() as session:
        assert session.scalar(text("SELECT count(*) FROM runs")) == 0
    assert at_head(f"sqlite:///{tmp_path / 'new.db'}")
    database.dispose()


@pytest.mark.usefixtures("app_env")
def test_a_serve_worker_loads_neither_pandas_nor_alembic() -> None:
    # every kind of work a `serve` process claims or tidies up after, and the database opened
    code = ("import core.worker as w\nfrom core.platform.database import open_database\n"
            "open_database().dispose()\n[w.work_kind(k) for k in w.KINDS]")
    assert _loaded_after(code, os.environ.copy()) == []


@pytest.mark.usefixtures("app_env")
def test_a_run_worker_loads_the_transform_libraries_only_when_a_transform_needs_them() -> None:
    assert _loaded_after("import core.scraping.runner", os.environ.copy()) == []
    code = ("from core.scrape.transforms import Transform, apply_transform\n"
            "assert apply_transform(Transform('price'), '$1,299.00', '') == 1299.0")
    assert _loaded_after(code, os.environ.copy()) == []  # the commonest shape: read without it
    code = ("from core.scrape.transforms import Transform, apply_transform\n"
            "assert apply_transform(Transform('price'), '1.299,00 €', '') == 1299.0")
    assert _loaded_after(code, os.environ.copy()) == ["price_parser"]


@pytest.mark.usefixtures("app_env")
def test_starting_a_run_loads_neither_the_cron_library_nor_the_package_parser_nor_the_view(
        analyst, make_job) -> None:
    # what `runs start` does before its run is queued is what `--wait` adds to the crawl: the
    # schedules' cron library, the package parser (the progress bound is read once the run is
    # queued) and the workflow panel's view are for other commands
    job_id = make_job(analyst)
    code = ("from core.cli import main\n"
            f"assert main(['--user', {analyst.email!r}, 'runs', 'start', {str(job_id)!r}]) == 0")
    later = ("croniter", "core.scrape.package", "core.timeline.view")
    assert _loaded_after(code, {**os.environ, "EXECUTOR": "queue"}, later) == []


@pytest.mark.usefixtures("app_env", "local_fetching")
def test_a_warm_serve_round_executes_a_queued_run(db, analyst, make_job,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXECUTOR", "queue")
    get_settings.cache_clear()
    assert claim_and_execute(db, "warm-worker") is False  # nothing queued
    job_id = make_job(analyst)
    with db.transaction() as session:
        run_id = runs.start_run(session, analyst, job_id).id
    assert claim_and_execute(db, "warm-worker") is True
    with db.transaction() as session:
        run = session.get_one(Run, run_id)
        assert run.status == "completed" and run.worker_id == "warm-worker"
        assert run.pages_fetched > 0 and run.items_extracted > 0
    assert claim_and_execute(db, "warm-worker") is False


@pytest.mark.usefixtures("app_env")
def test_a_worker_process_imports_without_collecting_garbage_then_collects_again() -> None:
    # `python -m core.worker` switches the collector off while it imports (what it makes then
    # lives as long as the process: 254 collections found nothing to free); after the start-up,
    # with all of it frozen, it must be on again for the work
    probe = ("import gc, runpy, sys\n"
             "sys.argv = ['core.worker', 'run', '00000000-0000-0000-0000-000000000000']\n"
             "unfrozen = []\n"
             "gc.callbacks.append(lambda phase, info: phase == 'start'"
             " and not gc.get_freeze_count() and unfrozen.append(info))\n"
             "try:\n    runpy.run_module('core.worker', run_name='__main__', alter_sys=True)\n"
             "except SystemExit:\n    pass\n"
             "print(len(unfrozen), gc.isenabled(), gc.get_freeze_count() > 0)")
    done = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, env=os.environ.copy(),
                          capture_output=True, text=True, timeout=120)
    collections_at_start, enabled, frozen = done.stdout.splitlines()[-1].split()
    assert int(collections_at_start) < 5, done.stderr[-2000:]
    assert (enabled, frozen) == ("True", "True")
