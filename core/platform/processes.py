"""Starting worker processes: ``python -m core.worker …`` with an argument list, detached from
the caller (the Streamlit server must never wait for, or die with, a scrape).

A worker is a new interpreter (``spawn_worker``), except where a command-line process started
it: ``python -m core`` already holds SQLAlchemy and the models, the half-second of imports a
new interpreter would spend before it even claims its run, so it forks its workers instead
(``forking_workers``). A forked worker is what a spawned one is — its own session, the project
folder as its working directory, no input, its output to ``logs/worker.log``, settings read
afresh from the same environment, ``core.worker.main`` with the same arguments — and no
database connection crosses the fork: the command closes its own before it forks. The app
never forks (Streamlit runs threads, and a fork copies only the calling one).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from core.platform.settings import PROJECT_ROOT, get_settings

if TYPE_CHECKING:
    from core.platform.database import Database

# Set by ``python -m core`` (its entry point, never an in-process caller such as a test): the
# process may fork its workers. ``_deferred`` collects the workers asked for inside
# ``forking_workers`` (None outside it).
_may_fork = False
_deferred: list[list[str]] | None = None
WorkerMain = Callable[[list[str]], int]  # core.worker.main
_MAX_FD = os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 256


def spawn_worker(args: list[str]) -> int:
    """Start ``python -m core.worker *args`` in its own session; return its pid.

    Output goes to ``$SCRAPEDECK_DATA_DIR/logs/worker.log`` so nothing is lost when the app's
    terminal is gone.
    """
    logs = get_settings().data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / "worker.log", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "core.worker", *args], cwd=PROJECT_ROOT, env=os.environ.copy(),
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
    return process.pid


def defer_worker(args: list[str]) -> bool:
    """Inside ``forking_workers``: keep ``python -m core.worker *args`` to be forked when that
    block ends (True); elsewhere False, and the caller spawns it now."""
    if _deferred is None:
        return False
    _deferred.append(list(args))
    return True


def allow_forking() -> None:
    """For ``python -m core``'s entry point only: this process may fork its workers."""
    global _may_fork
    _may_fork = True


@contextlib.contextmanager
def forking_workers(database: Database, worker_main: WorkerMain) -> Iterator[None]:
    """Workers asked for inside the block (by a transaction that commits there) are forked from
    this process when it ends, after ``database``'s connections are closed, and run
    ``worker_main(args)`` (``core.worker.main``: the caller names it, as this module sits below
    the worker); in a process that may not fork (``allow_forking``), or that runs threads, they
    start at once as before."""
    global _deferred
    if not _may_fork or _deferred is not None or not _only_thread():
        yield
        return
    _deferred = []
    try:
        yield
    finally:
        wanted, _deferred = _deferred, None
        if wanted:
            database.dispose()  # no connection (nor SQLite's lock state) crosses the fork
            for args in wanted:  # a thread the block started would not cross it: spawn then
                if _only_thread():
                    fork_worker(args, worker_main)
                else:
                    spawn_worker(args)


def _only_thread() -> bool:
    """No other thread runs in this process (a fork would copy this one alone)."""
    return threading.active_count() == 1


def fork_worker(args: list[str], worker_main: WorkerMain) -> int:
    """``python -m core.worker *args`` as a fork of this process (see the module's doc), which
    runs ``worker_main(args)``; its pid. A go-between child starts the worker's session and
    forks the worker, so the worker is nobody's child here (no zombie while this command
    waits). Falls back to ``spawn_worker`` when a fork fails."""
    logs = get_settings().data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = os.open(logs / "worker.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    reader, writer = os.pipe()
    for stream in (sys.stdout, sys.stderr):  # what this command printed is not printed twice
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    # What this command made is never collected in the worker: an object of the command's
    # that is collected there would close or flush a descriptor number the worker has reused
    # since (closerange below closes the numbers, not the objects holding them).
    gc.collect()
    gc.freeze()
    try:
        middle = os.fork()
    except OSError:
        middle = -1
    if middle != 0:  # this process (or no fork)
        os.close(writer)
        os.close(log)
        try:
            if middle > 0:
                # with SIGCHLD ignored (a supervisor's setting, kept across exec) the go-between
                # is reaped by the kernel: there is nothing to wait for, the pipe still tells
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(middle, 0)
            told = os.read(reader, 32)
        finally:
            os.close(reader)
        return int(told) if told else spawn_worker(args)
    status = 1
    try:  # the go-between: never returns into the caller's code
        os.close(reader)
        os.setsid()
        worker = os.fork()
        if worker == 0:
            os.close(writer)
            status = _work(args, log, worker_main)
        else:
            os.write(writer, str(worker).encode())
            status = 0
    finally:
        os._exit(status)


def _work(args: list[str], log: int, worker_main: WorkerMain) -> int:
    """The forked worker: set up as ``spawn_worker`` would have, then ``worker_main(args)``."""
    status = 1
    try:
        os.chdir(PROJECT_ROOT)
        nothing = os.open(os.devnull, os.O_RDONLY)
        os.dup2(nothing, 0)
        os.close(nothing)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.closerange(3, _MAX_FD)  # nothing else of the command's (as Popen's close_fds)
        # its command line is the command's ("python -m core … runs start …"): say what it is
        print(f"worker {os.getpid()} forked for: core.worker {' '.join(args)}", flush=True)
        get_settings.cache_clear()  # read again, from the project folder, as a new one would
        global _may_fork
        _may_fork = False  # a worker spawns what it starts, as a spawned one does
        status = worker_main(args)
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - written to the worker's log, as a spawned one does
        traceback.print_exc()
    finally:  # what an interpreter does as it exits (this one leaves with os._exit)
        # threading's own exit step: the callbacks registered for it first (a thread pool's
        # shutdown), then every non-daemon thread joined; a plain join would wait for ever on
        # a pool's idle threads
        threading._shutdown()  # type: ignore[attr-defined]
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
    return status
