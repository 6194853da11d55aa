"""Doorbells: wake a process on this machine that waits for work or for work to end, instead of
letting it find out at its next poll.

A waiting process binds a ``Doorbell`` in a folder (one Unix datagram socket per process, named
by its pid) and waits on it with a timeout in place of a sleep; ``ring(folder)`` sends one byte
to every doorbell in that folder. Two folders under ``<data_dir>/doorbells/``:

- ``workers``: ``serve`` waits here between its looks at the queue; a run, SEO crawl or audit
  queued with ``EXECUTOR=queue`` rings it once its transaction commits, so a warm worker takes
  the run at once rather than up to ``CLAIM_POLL_SECONDS`` later;
- ``waiters``: ``runs start --wait`` waits here between its looks at the run; a worker rings it
  whenever it finishes a piece of work, so the command returns as soon as its run has ended.

A doorbell is only a hint: the polls stay (workers on other machines, processes with another
data folder, a system without Unix sockets, a full socket buffer all just wait for the next
poll), and a waiter always reads the database before deciding anything. A doorbell whose process
died without removing it is removed by the next ring.
"""

from __future__ import annotations

import os
import select
import socket
from enum import StrEnum
from pathlib import Path
from types import TracebackType

from core.platform.settings import get_settings


class Bell(StrEnum):
    """Who waits behind a doorbell (its folder's name)."""

    WORKERS = "workers"
    WAITERS = "waiters"


def folder(bell: Bell) -> Path:
    return get_settings().data_dir / "doorbells" / bell.value


class Doorbell:
    """This process's doorbell in ``place``; without one (no Unix sockets, a path too long for
    one, a folder that cannot be made) ``wait`` is a plain sleep."""

    def __init__(self, place: Path) -> None:
        self.path = place / f"{os.getpid()}.sock"
        self.sock: socket.socket | None = None
        try:
            place.mkdir(parents=True, exist_ok=True)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        except (OSError, AttributeError):  # AttributeError: a system without AF_UNIX
            return
        try:
            self.path.unlink(missing_ok=True)  # a dead process's, whose pid this one reuses
            sock.bind(str(self.path))
        except OSError:
            sock.close()
            return
        sock.setblocking(False)
        self.sock = sock

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True as soon as the bell rang (rings since the last wait
        count too), False when the time ran out."""
        if self.sock is None:
            select.select([], [], [], seconds)
            return False
        ready, _, _ = select.select([self.sock], [], [], seconds)
        if not ready:
            return False
        try:
            while self.sock.recv(16):  # every ring so far: one wake-up for all of them
                pass
        except BlockingIOError:
            pass
        return True

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
            self.path.unlink(missing_ok=True)

    def __enter__(self) -> Doorbell:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


def ring(place: Path) -> int:
    """Ring every doorbell in ``place``; how many were rung. Never fails: a bell that cannot be
    rung is left to its poll, and one nobody listens at any more is removed."""
    try:
        bells = [path for path in place.iterdir() if path.suffix == ".sock"]
    except OSError:
        return 0
    if not bells:
        return 0
    rung = 0
    try:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    except (OSError, AttributeError):
        return 0
    with sock:
        sock.setblocking(False)
        for path in bells:
            try:
                sock.sendto(b"!", str(path))
                rung += 1
            except (ConnectionRefusedError, FileNotFoundError):
                path.unlink(missing_ok=True)  # its process is gone
            except OSError:
                pass  # a full buffer (it has been rung already) or a path too long: it polls
    return rung
