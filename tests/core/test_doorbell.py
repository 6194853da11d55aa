"""Doorbells (``core.platform.doorbell``): a ring wakes every process waiting in a folder; a
doorbell is only a hint, so whatever cannot ring or be rung falls back to the waiter's poll."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from core.platform import doorbell, work
from core.platform.doorbell import Bell, Doorbell, folder, ring
from core.platform.settings import get_settings
from core.scraping import runs
from db.models import ScrapingJob


def test_a_ring_wakes_the_doorbell_once(tmp_path: Path) -> None:
    with Doorbell(tmp_path) as bell:
        assert bell.sock is not None
        assert ring(tmp_path) == 1
        assert ring(tmp_path) == 1  # rung twice before it waited: one wake-up for both
        assert bell.wait(60) is True
        assert bell.wait(0) is False
    assert list(tmp_path.iterdir()) == []  # closed: its socket file is gone


def test_a_ring_while_it_waits_wakes_the_doorbell(tmp_path: Path) -> None:
    with Doorbell(tmp_path) as bell:
        ringer = threading.Thread(target=ring, args=(tmp_path,))
        ringer.start()
        woken = bell.wait(60)  # False only after a minute without the ring
        ringer.join()
    assert woken is True


def test_a_doorbell_nobody_listens_at_is_removed_by_the_next_ring(tmp_path: Path) -> None:
    dead = tmp_path / "999999.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(dead))
    sock.close()  # a process that died without removing its doorbell
    with Doorbell(tmp_path):
        assert ring(tmp_path) == 1
    assert not dead.exists()


def test_without_a_doorbell_waiting_is_sleeping(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 120)  # longer than a Unix socket's path may be
    with Doorbell(deep) as bell:
        assert bell.sock is None
        assert ring(deep) == 0
        assert bell.wait(0) is False
    assert ring(tmp_path / "missing") == 0


@pytest.mark.usefixtures("app_env")
def test_a_run_queued_for_serve_rings_the_workers_doorbell(db, analyst, monkeypatch) -> None:
    monkeypatch.setenv("EXECUTOR", "queue")
    get_settings.cache_clear()
    spawned: list[list[str]] = []
    monkeypatch.setattr(work, "spawn_worker", spawned.append)
    with db.transaction() as session:
        job = ScrapingJob(user_id=analyst.id, name="Lamps", target_url="https://shop.example/")
        session.add(job)
    with Doorbell(folder(Bell.WORKERS)) as worker, Doorbell(folder(Bell.WAITERS)) as waiter:
        with db.transaction() as session:
            runs.start_run(session, analyst, job.id)
            assert worker.wait(0) is False  # not before the run is committed
        assert worker.wait(60) is True
        assert waiter.wait(0) is False  # the waiters' bell is the workers' to ring
    assert spawned == []
    assert doorbell.folder(Bell.WORKERS).parent == get_settings().data_dir / "doorbells"


@pytest.mark.usefixtures("app_env", "local_fetching")
def test_a_finished_run_rings_the_waiters_before_its_rows_go_into_the_search_index(
        db, analyst, make_job, monkeypatch) -> None:
    # `runs start --wait` learns that its run ended as soon as its end is committed; what the
    # worker does after (on PostgreSQL: the run's rows into the search indexes) is not waited for
    from core.scraping import runner
    from core.worker import claim_and_execute

    monkeypatch.setenv("EXECUTOR", "queue")
    get_settings.cache_clear()
    rung_before_indexing: list[bool] = []

    def index_the_rest(self: runner.RunExecution, rows: int | None = None) -> int:
        if rows is None:  # the last call, once the run is finished (not an idle heartbeat's)
            rung_before_indexing.append(waiter.wait(0))
        return 0
    with Doorbell(folder(Bell.WAITERS)) as waiter:
        monkeypatch.setattr(runner.RunExecution, "index_for_search", index_the_rest)
        with db.transaction() as session:
            run = runs.start_run(session, analyst, make_job(analyst))
        assert claim_and_execute(db, "test-worker") is True
    assert rung_before_indexing == [True]
    with db.transaction() as session:
        assert runs.get_run(session, analyst, run.id).status == "completed"
