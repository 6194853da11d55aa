"""Extraction in a second process, so that a crawl uses two cores.

A run's event loop fetches, stores and keeps its books; parsing a page and running the package
over it holds the GIL for about as long again, so in one process the two take turns on one core.
``ExtractorProcess`` starts ``python -m core.scrape.extract_process`` and hands it pages over its
stdin; the records come back on its stdout. Nothing else crosses: the child opens no database and
no socket, and it exits when its stdin closes (its parent ended, however it ended).

Messages are length-prefixed pickles between this module and itself (the child is ours, started
from ``sys.executable``; nothing a website wrote is ever unpickled as code: pages travel as
``str``). The first message names the packages; then each page is ``(id, package name, html,
base_url)`` and each answer ``(id, "ok", records)`` or ``(id, "timeout" | "error", words)``.
The child says "ready" once it has imported what it needs: until then (about 0.3 s of its
own CPU, on the other core) the caller goes on extracting in its own thread. A child that dies
fails the pages it held with ``ExtractorGone``: the caller extracts them itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import pickle
import struct
import sys
from collections.abc import Mapping
from typing import Any, BinaryIO

from core.scrape.extract import ExtractedRecord, extract_records
from core.scrape.package import ConfigPackage, package_to_dict, parse_package
from core.scrape.transforms import TransformTimeout

_LENGTH = struct.Struct("!I")
_STREAM_LIMIT = 1 << 20  # asyncio's reader buffer; a frame may be larger (readexactly)


class ExtractorGone(Exception):
    """The child process ended: the page it held was not extracted."""


class ExtractionFailed(Exception):
    """The package raised something other than a time-out on this page (its words, as repr)."""


class ExtractorProcess:
    """``records = await extractor.records("page", html, url)``; start with ``await
    ExtractorProcess.start({"page": package, ...})``, end with ``await extractor.close()``."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process
        self._ids = itertools.count()
        self._waiting: dict[int, asyncio.Future[list[ExtractedRecord]]] = {}
        self._reader = asyncio.create_task(self._read_answers())
        self.gone = False
        self.ready = False  # the child has imported what it needs and read the packages

    @classmethod
    async def start(cls, packages: Mapping[str, ConfigPackage]) -> ExtractorProcess:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "core.scrape.extract_process",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=_STREAM_LIMIT)
        extractor = cls(process)
        extractor._send({name: package_to_dict(p) for name, p in packages.items()})
        return extractor

    async def records(self, package: str, html: str, base_url: str) -> list[ExtractedRecord]:
        """The package's records on this page, as ``extract_records`` gives them. Raises
        ``TransformTimeout`` and ``ExtractionFailed`` as the package did, ``ExtractorGone``."""
        if self.gone:
            raise ExtractorGone("the extraction process has ended")
        page_id = next(self._ids)
        future: asyncio.Future[list[ExtractedRecord]] = asyncio.get_running_loop().create_future()
        self._waiting[page_id] = future
        self._send((page_id, package, html, base_url))
        stdin = self._process.stdin
        assert stdin is not None
        if stdin.transport.get_write_buffer_size() > _STREAM_LIMIT:
            with contextlib.suppress(ConnectionError):
                await stdin.drain()  # the child is behind: wait rather than buffer every page
        return await future

    async def close(self) -> None:
        """Close its stdin (it exits) and wait for it; pages still waiting fail as gone."""
        stdin = self._process.stdin
        if stdin is not None and not stdin.is_closing():
            stdin.close()
        try:
            await asyncio.wait_for(self._process.wait(), timeout=5)
        except TimeoutError:  # stuck in a page: it has no work left that anybody wants
            self._process.kill()
            await self._process.wait()
        await self._reader

    def _send(self, message: Any) -> None:
        stdin = self._process.stdin
        assert stdin is not None
        if stdin.is_closing():
            self._fail_all()
            return
        frame = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        stdin.write(_LENGTH.pack(len(frame)) + frame)

    async def _read_answers(self) -> None:
        stdout = self._process.stdout
        assert stdout is not None
        try:
            while True:
                (size,) = _LENGTH.unpack(await stdout.readexactly(_LENGTH.size))
                page_id, outcome, value = pickle.loads(await stdout.readexactly(size))
                if outcome == "ready":
                    self.ready = True
                    continue
                future = self._waiting.pop(page_id, None)
                if future is None or future.done():  # its caller stopped waiting (a cancel)
                    continue
                if outcome == "ok":
                    future.set_result([ExtractedRecord(*fields) for fields in value])
                elif outcome == "timeout":
                    future.set_exception(TransformTimeout(value))
                else:
                    future.set_exception(ExtractionFailed(value))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the child ended
        finally:
            self._fail_all()

    def _fail_all(self) -> None:
        self.gone = True
        waiting, self._waiting = self._waiting, {}
        for future in waiting.values():
            if not future.done():
                future.set_exception(ExtractorGone("the extraction process has ended"))


# --- The child ----------------------------------------------------------------------------------

def _read_frame(source: BinaryIO) -> Any:
    header = source.read(_LENGTH.size)
    if len(header) < _LENGTH.size:
        return None  # stdin closed: the parent is done (or gone)
    (size,) = _LENGTH.unpack(header)
    return pickle.loads(source.read(size))


def _answer(page_id: int, package: ConfigPackage | None, html: str,
            base_url: str) -> tuple[Any, ...]:
    try:
        if package is None:
            raise KeyError("no such package")
        records = extract_records(package, html, base_url)
    except TransformTimeout as exc:
        return (page_id, "timeout", str(exc))
    except Exception as exc:  # the parent reports it on the page, as its own thread would
        return (page_id, "error", repr(exc))
    return (page_id, "ok", [(r.data, r.found, r.fallbacks) for r in records])


def serve(source: BinaryIO, sink: BinaryIO) -> None:
    """Answer pages until ``source`` ends."""
    packages = {name: parse_package(doc) for name, doc in (_read_frame(source) or {}).items()}
    _write_frame(sink, (-1, "ready", None))
    while (message := _read_frame(source)) is not None:
        page_id, name, html, base_url = message
        _write_frame(sink, _answer(page_id, packages.get(name), html, base_url))


def _write_frame(sink: BinaryIO, message: Any) -> None:
    frame = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    sink.write(_LENGTH.pack(len(frame)) + frame)
    sink.flush()


if __name__ == "__main__":
    answers = sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must never land inside a frame
    serve(sys.stdin.buffer, answers)
