"""Starting worker processes: ``python -m core.worker …`` with an argument list, detached from
the caller (the Streamlit server must never wait for, or die with, a scrape).

A worker is a new interpreter (``spawn_worker``), except where a ``serve`` worker of the same
data folder and database runs on this machine (its command server forks the worker from its
loaded modules: core/platform/command_server.py), or where a command-line process started
it: ``python -m core`` already holds SQLAlchemy and the models, the half-second of imports a
new interpreter would spend before it even claims its run, so it forks its workers instead
(``forking_workers``). A forked worker is what a spawned one is — its own session, the project
folder as its working directory, no input, its output to ``logs/worker.log``, settings read
afresh from the same environment, ``core.worker.main`` with the same arguments — and no
database connection crosses the fork: the command closes its own before it forks. The app
never forks (Streamlit runs threads, and a fork copies only the calling one).

A command that knows which kind of worker it will ask for (``runs start``) forks it ahead
(``worker_standing_by``), before it opens its database: the worker imports the kind's modules
(the run's: aiohttp, jsonschema, the extraction code, ~0.14 s) on the other core while the
command opens the database and queues the run, then gets its arguments down a pipe and goes on
as a forked worker does. One that gets none (the command failed, the start was refused) exits
without a word.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import gc
import logging
import os
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn

from core.platform.command_server import start_detached
from core.platform.forks import flush_standard_streams
from core.platform.settings import PROJECT_ROOT, get_settings

if TYPE_CHECKING:
    from core.platform.database import Database

# Set by ``python -m core`` (its entry point, never an in-process caller such as a test): the
# process may fork its workers. ``_deferred`` collects the workers asked for inside
# ``forking_workers`` (None outside it).
_may_fork = False
_deferred: list[list[str]] | None = None
_standby: _Standby | None = None  # the worker a ``worker_standing_by`` block forked ahead
WorkerMain = Callable[[list[str]], int]  # core.worker.main
Prepare = Callable[[str], None]  # imports a kind's modules in a worker forked ahead
_MAX_FD = os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 256


def spawn_worker(args: list[str]) -> int:
    """Start ``python -m core.worker *args`` in its own session; return its pid.

    Output goes to ``$SCRAPEDECK_DATA_DIR/logs/worker.log`` so nothing is lost when the app's
    terminal is gone. Where a ``serve`` worker of the same data folder and database runs on
    this machine, its command server forks the worker, its imports done (the run starts a
    second sooner, and a second of CPU less); a new interpreter otherwise.
    """
    logs = get_settings().data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / "worker.log", "ab") as log:
        if args[:1] != ["serve"] and (pid := start_detached(args, log.fileno())) is not None:
            return pid  # a fork of a warm serve worker's command server: nothing to import
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


def forking_allowed() -> bool:
    """Whether this process is ``python -m core``'s own (``allow_forking``), not a caller's."""
    return _may_fork


@contextlib.contextmanager
def forking_workers(database: Database, worker_main: WorkerMain) -> Iterator[None]:
    """Workers asked for inside the block (by a transaction that commits there) are forked from
    this process when it ends, after ``database``'s connections are closed, and run
    ``worker_main(args)`` (``core.worker.main``: the caller names it, as this module sits below
    the worker); the first of the kind a ``worker_standing_by`` block forked ahead is handed
    to that worker instead (which leaves when the block ends without work for it). In a
    process that may not fork (``allow_forking``), or that runs threads, they start at once as
    before."""
    global _deferred
    if not _may_fork or _deferred is not None or not only_thread():
        try:
            yield
        finally:
            if _deferred is None:  # the outermost block: no worker forked ahead is used now
                _release_standby()
        return
    _deferred = []
    try:
        yield
    finally:
        wanted, _deferred = _deferred, None
        if wanted:
            database.dispose()  # no connection (nor SQLite's lock state) crosses the fork
            for args in wanted:
                if _hand_over(args):  # forked ahead, while this process had one thread
                    continue
                if only_thread():  # a thread the block started would not cross a fork
                    fork_worker(args, worker_main)
                else:
                    spawn_worker(args)
        _release_standby()  # not used here (a refused start, a replayed key): it leaves now


def freeze_start_up_objects(collect: bool = False) -> None:
    """At the end of a process's start-up, run with the cyclic garbage collector off: move what
    exists (modules, classes, the mapped models: alive as long as the process) out of its
    generations, never walked again, and collect as usual from here on. ``collect``: collect
    first (a long-lived process keeps no start-up garbage for ever).

    The models' mappers are configured first when SQLAlchemy's ORM is loaded: it would do it at
    the first query, with the collector on, making some 12,000 objects that live as long as
    the process."""
    if "sqlalchemy.orm" in sys.modules:
        from sqlalchemy.orm import configure_mappers

        configure_mappers()
    if collect:
        gc.collect()
    gc.freeze()
    gc.enable()


def only_thread() -> bool:
    """No other thread runs in this process (a fork would copy this one alone)."""
    return threading.active_count() == 1


@contextlib.contextmanager
def worker_standing_by(kind: str | None, prepare: Prepare,
                       worker_main: WorkerMain) -> Iterator[None]:
    """Fork now the worker of ``kind`` (a ``core.worker`` subcommand) that a ``forking_workers``
    block inside this one may ask for, before this command opens its database: it runs
    ``prepare(kind)`` (imports the kind's modules) on the other core while the command opens
    the database and queues the work, then waits for its arguments. ``forking_workers`` hands
    them over; one that a ``forking_workers`` block did not use, or that is left when this
    block ends, is told there is nothing (it exits without a word, as does one whose command
    died). Nothing happens for ``kind`` None, or where ``forking_workers`` would not fork
    (``allow_forking``, other threads)."""
    global _standby
    if kind is None or not _may_fork or _standby is not None or not only_thread():
        yield
        return
    _standby = _fork_standby(kind, prepare, worker_main)
    try:
        yield
    finally:
        _release_standby()


def _release_standby() -> None:
    """Tell the worker standing by, if any is left, that there is nothing for it (end of file:
    it exits without a word)."""
    global _standby
    standby, _standby = _standby, None
    if standby is not None:
        os.close(standby.writer)


@dataclass(frozen=True)
class _Standby:
    kind: str
    pid: int
    writer: int  # the pipe its arguments go down


def _hand_over(args: list[str]) -> bool:
    """Give ``args`` to the worker standing by for their kind (True), once."""
    global _standby
    standby = _standby
    if standby is None or args[:1] != [standby.kind]:
        return False
    _standby = None
    try:
        os.write(standby.writer, "\0".join(args).encode())  # far below PIPE_BUF: one write
        return True
    except OSError:  # it died meanwhile: the caller forks another
        return False
    finally:
        os.close(standby.writer)


def _fork_standby(kind: str, prepare: Prepare, worker_main: WorkerMain) -> _Standby | None:
    """A worker of ``kind``, forked as ``fork_worker`` forks one, that prepares and then waits
    for its arguments on a pipe; None when a fork fails (the work is forked or spawned when
    asked for, as before)."""
    reader, writer = os.pipe()
    reader = _above_standard_streams(reader)
    pid = _fork_detached(lambda log: _stand_by(kind, reader, log, prepare, worker_main))
    os.close(reader)
    if pid is None:
        os.close(writer)
        return None
    return _Standby(kind, pid, writer)


def _stand_by(kind: str, reader: int, log: int, prepare: Prepare,
              worker_main: WorkerMain) -> int:
    """The worker forked ahead: prepare, then work on the arguments that come down ``reader``
    (exit quietly, 0, when none come)."""
    _detach(log, keep=reader)
    gc.disable()  # as the command's own start-up: its imports are frozen once loaded
    try:
        with contextlib.suppress(Exception):  # a failing import fails the work itself, logged
            prepare(kind)
    finally:
        gc.enable()
    chunks = []
    while chunk := os.read(reader, 4096):
        chunks.append(chunk)
    os.close(reader)
    if not chunks:
        return 0
    return _run_worker(b"".join(chunks).decode().split("\0"), worker_main)


def fork_worker(args: list[str], worker_main: WorkerMain) -> int:
    """``python -m core.worker *args`` as a fork of this process (see the module's doc), which
    runs ``worker_main(args)``; its pid. Falls back to ``spawn_worker`` when a fork fails."""
    pid = _fork_detached(lambda log: _work(args, log, worker_main))
    return spawn_worker(args) if pid is None else pid


def _fork_detached(child: Callable[[int], int]) -> int | None:
    """Fork ``child(log)`` (``log``: the descriptor of ``logs/worker.log``; its return value is
    the exit status) in a session of its own; its pid, None when a fork failed. A go-between
    child starts the session and forks the worker, so the worker is nobody's child here (no
    zombie while this command waits)."""
    logs = get_settings().data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = _above_standard_streams(
        os.open(logs / "worker.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666))
    told, teller = os.pipe()
    flush_standard_streams()  # what this command printed is not printed twice
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
        os.close(teller)
        os.close(log)
        try:
            if middle > 0:
                # with SIGCHLD ignored (a supervisor's setting, kept across exec) the go-between
                # is reaped by the kernel: there is nothing to wait for, the pipe still tells
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(middle, 0)
            pid = os.read(told, 32)
        finally:
            os.close(told)
        return int(pid) if pid else None
    status = 1
    try:  # the go-between: never returns into the caller's code
        os.close(told)
        os.setsid()
        worker = os.fork()
        if worker == 0:
            os.close(teller)
            status = child(log)
        else:
            os.write(teller, str(worker).encode())
            status = 0
    finally:
        os._exit(status)


def _above_standard_streams(fd: int) -> int:
    """``fd``, or a copy of it numbered 3 or more (``fd`` closed) when it took the number of a
    standard stream the command was started without: ``_detach`` gives those numbers to the
    worker's own input and output."""
    if fd > 2:
        return fd
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 3)
    os.close(fd)
    return moved


def _work(args: list[str], log: int, worker_main: WorkerMain) -> int:
    """The forked worker: set up as ``spawn_worker`` would have, then ``worker_main(args)``."""
    return _run_worker(args, worker_main, lambda: _detach(log))


def _detach(log: int, keep: int | None = None) -> None:
    """Set a forked worker up as ``spawn_worker`` would have: the project folder, no input,
    output to ``log``, no other descriptor of the command's (``keep`` aside), and a worker
    spawns what it starts, as a spawned one does."""
    global _may_fork, _standby
    _may_fork, _standby = False, None
    os.chdir(PROJECT_ROOT)
    get_settings.cache_clear()  # read again, from the project folder, as a new one would
    nothing = os.open(os.devnull, os.O_RDONLY)
    os.dup2(nothing, 0)
    os.close(nothing)
    os.dup2(log, 1)
    os.dup2(log, 2)
    # nothing else of the command's (as Popen's close_fds)
    for low, high in ((3, keep), (keep + 1, _MAX_FD)) if keep is not None else ((3, _MAX_FD),):
        os.closerange(low, high)


def exit_now(status: int) -> NoReturn:
    """End this process as the interpreter's exit would, less its last step: threads joined
    (and the callbacks registered for that, a thread pool's shutdown), ``atexit`` callbacks
    (logging's flush among them), standard streams flushed (status 120 when that fails, as
    Python's own), then out. The step left out takes every loaded module apart, object by
    object (~7 ms after a command that loaded the models); the objects it would free hold
    nothing an exit must write (files are written in ``with`` blocks, logging is flushed by its
    ``atexit`` callback)."""
    threading._shutdown()  # type: ignore[attr-defined]
    atexit._run_exitfuncs()
    if not flush_standard_streams():
        status = status or 120
    os._exit(status)


def _run_worker(args: list[str], worker_main: WorkerMain,
                detach: Callable[[], None] | None = None) -> int:
    """``worker_main(args)`` in a forked worker, ``detach``ed first unless it is already; its
    exit status."""
    status = 1
    try:
        if detach is not None:
            detach()
        # its command line is the command's ("python -m core … runs start …"): say what it is
        print(f"worker {os.getpid()} forked for: core.worker {' '.join(args)}", flush=True)
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
        flush_standard_streams()
    return status
