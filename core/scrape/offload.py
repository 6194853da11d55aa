"""CPU work off the event loop, handed to a few long-lived threads and back in batches.

``asyncio.to_thread`` costs, for every call, a context copy, an executor submit (a lock and a
thread-count check), two chained futures and one write to the event loop's self-pipe to wake it
(plus the loop's read of it): per crawled page, that was about a tenth of the crawl's CPU. An
``Offload`` keeps its threads for the whole crawl, takes work from one queue, and hands results
back to the loop through one list: the loop is woken (one self-pipe write) only when that list
was empty, so results finished while the loop is busy are delivered together, in one callback.

HTML parsing holds the GIL, so threads do not parse in parallel: they let the event loop go on
(heartbeats, cancel checks, requests whose system calls release the GIL) while a page is parsed.
More than one thread keeps a slow page (a regex transform near its time limit) from holding up
every other page behind it.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import Any, Self, TypeVar

T = TypeVar("T")
THREADS = 2

_STOP = object()


class Offload:
    """``await offload.run(fn, *args)`` runs ``fn(*args)`` on one of the threads. Use it as an
    async context manager (inside the running loop): the threads stop when it exits."""

    def __init__(self, threads: int = THREADS, name: str = "offload") -> None:
        self._count, self._name = threads, name
        self._inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._done: list[tuple[asyncio.Future[Any], bool, Any]] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    async def __aenter__(self) -> Self:
        self._loop = asyncio.get_running_loop()
        self._threads = [threading.Thread(target=self._serve, name=f"{self._name}-{n}",
                                          daemon=True) for n in range(self._count)]
        for thread in self._threads:
            thread.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for _ in self._threads:
            self._inbox.put(_STOP)
        # A thread may be finishing a piece of work: wait for it off the loop.
        await asyncio.to_thread(self._join)

    def _join(self) -> None:
        for thread in self._threads:
            thread.join()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        assert self._loop is not None, "use Offload as an async context manager"
        future: asyncio.Future[T] = self._loop.create_future()
        self._inbox.put((future, fn, args))
        return await future

    def _serve(self) -> None:
        while (work := self._inbox.get()) is not _STOP:
            future, fn, args = work
            if future.cancelled():  # its caller stopped waiting (a cancel): skip the work
                continue
            try:
                outcome: tuple[asyncio.Future[Any], bool, Any] = (future, True, fn(*args))
            except BaseException as exc:  # delivered to the caller, as to_thread would
                outcome = (future, False, exc)
            with self._lock:
                self._done.append(outcome)
                wake = len(self._done) == 1
            if wake:
                assert self._loop is not None
                try:
                    self._loop.call_soon_threadsafe(self._deliver)
                except RuntimeError:  # the loop is closed: nobody waits any more
                    return

    def _deliver(self) -> None:
        """On the loop: every result finished since the last delivery."""
        with self._lock:
            done, self._done = self._done, []
        for future, ok, value in done:
            if future.cancelled():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
