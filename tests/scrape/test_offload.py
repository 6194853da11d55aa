"""Work handed to forked processes (core.scrape.offload): answers, failures, deaths, clean-up."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time
from typing import Any

import pytest

from core.scrape import offload as offload_module
from core.scrape.offload import Offload, OffloadDied, OffloadUnavailable


class Refused(Exception):
    pass


def answer(request: Any) -> Any:
    """The work the tests hand over: runs in the forked process."""
    kind, value = request
    if kind == "square":
        return value * value
    if kind == "pid":
        return os.getpid()
    if kind == "refuse":
        raise Refused(f"no {value}")
    if kind == "unpicklable-error":
        raise Refused(lambda: value)  # its argument cannot cross the pipe
    if kind == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    if kind == "bytes":
        return bytes(value)
    if kind == "sleep":
        time.sleep(value)
        return value
    raise AssertionError(kind)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_requests_are_answered_by_another_process_in_the_order_asked() -> None:
    async def scenario() -> tuple[list[int], int]:
        async with Offload(answer, processes=1) as offload:
            squares = await asyncio.gather(*(offload.run(("square", n)) for n in range(50)))
            return squares, await offload.run(("pid", None))

    squares, pid = run(scenario())

    assert squares == [n * n for n in range(50)]
    assert pid != os.getpid()


def test_a_large_answer_crosses_the_pipe_whole() -> None:
    async def scenario() -> bytes:
        async with Offload(answer, processes=1) as offload:
            return await offload.run(("bytes", 3_000_000))  # many pipe buffers' worth

    assert run(scenario()) == bytes(3_000_000)


def test_an_exception_of_the_work_is_raised_where_it_was_asked_for() -> None:
    async def scenario() -> tuple[str, str, int]:
        async with Offload(answer, processes=1) as offload:
            with pytest.raises(Refused) as refused:
                await offload.run(("refuse", "thanks"))
            with pytest.raises(RuntimeError) as unreadable:
                await offload.run(("unpicklable-error", 1))
            return str(refused.value), str(unreadable.value), await offload.run(("square", 3))

    refused, unreadable, after = run(scenario())

    assert refused == "no thanks"
    assert "Refused" in unreadable
    assert after == 9  # the process serves on


def test_a_process_that_dies_costs_only_the_request_it_was_working_on() -> None:
    async def scenario() -> tuple[list[Any], list[int], list[int]]:
        async with Offload(answer, processes=1) as offload:
            first = await offload.run(("pid", None))
            asked = [offload.run(("die", None)), *(offload.run(("square", n)) for n in range(5))]
            outcomes = await asyncio.gather(*asked, return_exceptions=True)
            return outcomes, [first], offload.processes

    outcomes, (first,), alive = run(scenario())

    assert isinstance(outcomes[0], OffloadDied)
    assert "SIGKILL" in str(outcomes[0])
    assert outcomes[1:] == [0, 1, 4, 9, 16]  # answered by the process forked in its place
    assert first not in alive


def test_a_request_past_the_deadline_stops_its_process_and_only_that_request_fails() -> None:
    async def scenario() -> tuple[list[Any], float]:
        async with Offload(answer, processes=1, deadline=0.5) as offload:
            started = time.monotonic()
            asked = [offload.run(("sleep", 0.1)), offload.run(("sleep", 60)),
                     offload.run(("sleep", 0.1)), offload.run(("square", 7))]
            outcomes = await asyncio.gather(*asked, return_exceptions=True)
            return outcomes, time.monotonic() - started

    outcomes, seconds = run(scenario())

    assert outcomes[0] == 0.1 and outcomes[2:] == [0.1, 49]  # each under the deadline
    assert isinstance(outcomes[1], OffloadDied)
    assert str(outcomes[1]) == "it took longer than 0.5 s (its process was stopped)"
    assert seconds < 10  # not the 60 s it asked for


def test_the_processes_are_gone_when_the_offload_closes() -> None:
    async def scenario() -> list[int]:
        async with Offload(answer, processes=2) as offload:
            await asyncio.gather(*(offload.run(("square", n)) for n in range(20)))
            return offload.processes

    pids = run(scenario())

    assert 1 <= len(pids) <= 2
    for pid in pids:
        with pytest.raises(ChildProcessError):  # reaped already: no zombie left behind
            os.waitpid(pid, os.WNOHANG)


def test_a_socket_closed_here_is_not_held_open_by_a_process_forked_while_it_was_open() -> None:
    here, peer = socket.socketpair()

    async def scenario() -> bytes:
        async with Offload(answer, processes=1) as offload:
            await offload.run(("square", 2))  # forked now, with ``here`` open
            here.close()
            peer.settimeout(5)
            return peer.recv(1)  # end of stream only if no process holds ``here``

    try:
        assert run(scenario()) == b""
    finally:
        peer.close()


def test_where_no_process_can_be_forked_the_caller_is_told_to_do_the_work(monkeypatch) -> None:
    def no_fork() -> int:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(offload_module.os, "fork", no_fork)
    descriptors = len(os.listdir("/proc/self/fd"))

    async def scenario() -> None:
        async with Offload(answer, processes=1) as offload:
            for _ in range(2):
                with pytest.raises(OffloadUnavailable):
                    await offload.run(("square", 2))

    run(scenario())
    assert len(os.listdir("/proc/self/fd")) == descriptors  # its pipes were closed again
