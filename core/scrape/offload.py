"""CPU work off the event loop, in forked processes that answer it through pipes.

A crawl's event loop holds the GIL for everything it does: with a page's extraction on it (or on
threads of the same process, which take turns with it) one core does all the work however many
the machine has. An ``Offload`` forks a few processes that inherit what the work needs (the
run's packages, the imported parsers: nothing is sent but the request) and serve one request at
a time, in order: a request goes down a pipe as a pickle, its answer comes back up another, and
the loop never waits on either (asyncio's pipe transports buffer what the pipe cannot take yet).

The processes are forked at their first request. A process that dies (a crash in a parser, the
kernel's out-of-memory killer) costs the request it was working on — ``run`` raises
``OffloadDied`` for it — and nothing else: the requests waiting behind it go to a new one. Where
no process can be forked (``fork`` failed), ``run`` raises ``OffloadUnavailable`` and the caller
does the work itself. The processes are killed when the ``Offload`` closes: whatever is in
flight then has no one left waiting for it.

Forking from a process that runs other threads is safe here because a child runs only the
handler (HTML parsers, transforms, pickle), never a lock that another thread may have held at
the fork: no database, no event loop (``logging`` makes its locks anew in a forked child). A
child that hangs on a request is killed at the ``deadline``, if one is given (else when the
``Offload`` closes: a cancel closes it). It closes every inherited descriptor but its
two pipes, so a socket the parent closes is closed, and it freezes what it inherited out of its
garbage collector's reach (no finalizer of the parent's objects runs in it).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import gc
import os
import pickle
import signal
from collections.abc import Callable
from typing import Any, Self

# One process beside the event loop per core the loop leaves (at most 4): on 2 cores, 2 processes
# took turns with the loop, and the crawl was slower than with 1.
PROCESSES = max(1, min(4, (os.cpu_count() or 2) - 1))
_PIPE_SIZE = 65_536  # what Linux's pipe holds: a request is read, an answer written, at once
_HEADER = 8  # bytes of a frame's length, little-endian, before the pickle


class OffloadDied(Exception):
    """The process working on this request stopped before it answered."""


class OffloadUnavailable(Exception):
    """No process could be forked: do the work where you are."""


class Offload:
    """``await offload.run(request)`` is ``handle(request)``, worked out in one of ``processes``
    forked processes. ``handle`` and what it returns must be picklable (a request and an answer
    cross a pipe; ``handle`` itself is inherited). An exception ``handle`` raises is raised by
    ``run``. ``deadline``: seconds a process may work on one request; past them it is killed
    (``run`` raises ``OffloadDied`` for that request) and another serves the rest. Use it as an
    async context manager, inside the running loop."""

    def __init__(self, handle: Callable[[Any], Any], processes: int = PROCESSES,
                 deadline: float | None = None) -> None:
        self._handle, self._count, self._deadline = handle, processes, deadline
        self._children: list[_Child] = []
        self._unavailable = False
        self._forking = asyncio.Lock()  # one fork at a time: the callers then count it in

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for child in self._children:
            child.kill()
        self._children = []

    @property
    def backlog(self) -> int:
        """Requests handed over and not answered yet."""
        return sum(len(child.waiting) for child in self._children)

    @property
    def processes(self) -> list[int]:
        """The pids of the processes alive now (for tests and benches)."""
        return [child.pid for child in self._children if not child.dead]

    async def run(self, request: Any) -> Any:
        while True:
            child = await self._least_busy()
            try:
                return await child.ask(request)
            except _NotStarted:  # its process died before it got to this one: ask another
                continue

    async def _least_busy(self) -> _Child:
        """An idle process, else a new one (up to the count), else the one least behind."""
        async with self._forking:
            self._children = [child for child in self._children if not child.dead]
            idle = [child for child in self._children if not child.waiting]
            if idle:
                return idle[0]
            if len(self._children) < self._count and not self._unavailable:
                try:
                    self._children.append(await _Child.fork(self._handle, self._deadline))
                    return self._children[-1]
                except OSError as exc:
                    self._unavailable = True
                    if not self._children:
                        raise OffloadUnavailable(f"could not fork: {exc}") from exc
            if not self._children:
                raise OffloadUnavailable("could not fork")
            return min(self._children, key=lambda child: len(child.waiting))


class _NotStarted(Exception):
    """The request's process died before it took the request up."""


class _Child:
    """One forked process, its pipes, and the requests it has not answered yet (oldest first:
    it answers in order)."""

    def __init__(self, pid: int, requests: asyncio.WriteTransport,
                 deadline: float | None = None) -> None:
        self.pid, self._requests, self._deadline = pid, requests, deadline
        self._timer: asyncio.TimerHandle | None = None  # the deadline of the request worked on
        self._overdue: asyncio.Future[Any] | None = None  # the request it was killed over
        self._answers: asyncio.BaseTransport | None = None
        self.waiting: collections.deque[asyncio.Future[Any]] = collections.deque()
        self.dead = False

    @classmethod
    async def fork(cls, handle: Callable[[Any], Any], deadline: float | None = None) -> _Child:
        loop = asyncio.get_running_loop()
        request_reader, request_writer = os.pipe()
        answer_reader, answer_writer = os.pipe()
        try:
            if not hasattr(os, "fork"):
                raise OSError("this system has no fork")
            pid = os.fork()
        except OSError:
            for fd in (request_reader, request_writer, answer_reader, answer_writer):
                os.close(fd)
            raise
        if pid == 0:  # the child: serve until the parent closes its end, never return
            status = 70  # EX_SOFTWARE, should serving itself fail
            try:
                _serve(handle, request_reader, answer_writer)
                status = 0
            finally:
                os._exit(status)
        os.close(request_reader)
        os.close(answer_writer)
        requests, _ = await loop.connect_write_pipe(
            asyncio.BaseProtocol, open(request_writer, "wb", buffering=0))
        child = cls(pid, requests, deadline)
        child._answers, _ = await loop.connect_read_pipe(
            lambda: _Answers(child), open(answer_reader, "rb", buffering=0))
        return child

    def ask(self, request: Any) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        payload = pickle.dumps(request, pickle.HIGHEST_PROTOCOL)
        self.waiting.append(future)
        self._requests.write(len(payload).to_bytes(_HEADER, "little") + payload)  # one write
        if len(self.waiting) == 1:  # it was idle: it works on this one now
            self._start_clock()
        return future

    def answer(self, frame: bytes) -> None:
        future = self.waiting.popleft()
        self._start_clock()  # on the next request, if one waits (it takes it up at once)
        try:
            ok, value = pickle.loads(frame)
        except Exception as exc:  # an exception whose class cannot be rebuilt from its pickle
            ok, value = False, RuntimeError(f"an answer that could not be read: {exc!r}")
        if future.cancelled():
            return
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)

    def lost(self) -> None:
        """Its answers' pipe closed: the process died (or was killed). The request it was
        working on fails; those behind it go to another process."""
        if self.dead:
            return
        self.dead = True
        self._stop_clock()
        why = self._reap()
        self._requests.close()
        # The request it was working on: the oldest, or the one it was stopped over (which may
        # have been answered after all, just before the kill: then none of these failed).
        failed = self.waiting[0] if self._overdue is None and self.waiting else self._overdue
        if self._overdue is not None:
            why = f"it took longer than {self._deadline:g} s (its process was stopped)"
        for future in self.waiting:
            if not future.done():
                future.set_exception(OffloadDied(why) if future is failed else _NotStarted())
        self.waiting.clear()

    def kill(self) -> None:
        self._stop_clock()
        if not self.dead:
            self.dead = True
            self._requests.close()
            self._reap()
        if self._answers is not None:
            self._answers.close()
        for future in self.waiting:
            future.cancel()
        self.waiting.clear()

    def _start_clock(self) -> None:
        self._stop_clock()
        if self._deadline is not None and self.waiting:
            self._timer = asyncio.get_running_loop().call_later(self._deadline, self._too_late)

    def _stop_clock(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _too_late(self) -> None:
        """The request worked on is past the deadline: stop the process (``lost`` follows,
        when its pipe closes)."""
        self._timer = None
        if not self.waiting:
            return
        self._overdue = self.waiting[0]
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)

    def _reap(self) -> str:
        """Wait for the process's end (killing it if it is still there) and say how it ended,
        so that its CPU time counts in this process's children's, as it was spent for it."""
        with contextlib.suppress(ChildProcessError):
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid == 0:
                os.kill(self.pid, signal.SIGKILL)
                _, status = os.waitpid(self.pid, 0)
            if os.WIFSIGNALED(status):
                return f"its process was killed by {signal.Signals(os.WTERMSIG(status)).name}"
            return f"its process exited with status {os.WEXITSTATUS(status)}"
        return "its process ended"


class _Answers(asyncio.Protocol):
    """Cuts the answers' pipe into frames (length, then pickle) for its ``_Child``."""

    def __init__(self, child: _Child) -> None:
        self._child = child
        self._buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        start = 0
        while len(buffer) - start >= _HEADER:
            size = int.from_bytes(buffer[start:start + _HEADER], "little")
            end = start + _HEADER + size
            if len(buffer) < end:
                break
            self._child.answer(bytes(buffer[start + _HEADER:end]))
            start = end
        del buffer[:start]

    def connection_lost(self, exc: Exception | None) -> None:
        self._child.lost()


def _serve(handle: Callable[[Any], Any], request_reader: int, answer_writer: int) -> None:
    """The forked process: answer each request in turn until the requests' pipe closes."""
    _leave_the_parents_things(keep=(request_reader, answer_writer))
    with open(request_reader, "rb", buffering=_PIPE_SIZE) as requests, \
            open(answer_writer, "wb", buffering=_PIPE_SIZE) as answers:
        while len(header := requests.read(_HEADER)) == _HEADER:
            request = pickle.loads(requests.read(int.from_bytes(header, "little")))
            try:
                answer = pickle.dumps((True, handle(request)), pickle.HIGHEST_PROTOCOL)
            except Exception as exc:  # raised again by ``run``, as if the work ran there
                answer = _pickled_failure(exc)
            answers.write(len(answer).to_bytes(_HEADER, "little"))
            answers.write(answer)
            answers.flush()


def _pickled_failure(exc: Exception) -> bytes:
    try:
        return pickle.dumps((False, exc), pickle.HIGHEST_PROTOCOL)
    except Exception:  # an exception that does not pickle: its words, at least
        return pickle.dumps((False, RuntimeError(repr(exc))), pickle.HIGHEST_PROTOCOL)


def _leave_the_parents_things(keep: tuple[int, int]) -> None:
    """In a child just forked: no signal handling of the parent's (asyncio's wake-up descriptor
    is the parent's loop), none of its descriptors but ``keep``, and its objects frozen."""
    with contextlib.suppress(ValueError):  # only where the fork was made on the main thread
        signal.set_wakeup_fd(-1)
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, signal.SIG_DFL)
    low, high = sorted(keep)
    os.closerange(3, low)
    os.closerange(low + 1, high)
    os.closerange(high + 1, _max_descriptor())
    gc.freeze()


def _max_descriptor() -> int:
    try:
        return max(map(int, os.listdir("/proc/self/fd"))) + 1
    except OSError:
        return os.sysconf("SC_OPEN_MAX")
