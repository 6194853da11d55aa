"""What a process forked to do one job does to behave: it dies with the process that forked it,
and leaves without that process's exit steps; and what that process does for the children it
does not wait for (``reap_exited_children``).

Used by ``serve`` (core.worker: each piece of work in a fork), its command server
(core/platform/command_server.py) and the workers forked by ``python -m core``
(core/platform/processes.py).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
from typing import NoReturn

_PR_SET_PDEATHSIG = 1  # prctl(2)


def die_with_parent(parent: int) -> None:
    """In a child just forked from ``parent``: the kernel sends it SIGTERM when ``parent``
    ends (Linux's PR_SET_PDEATHSIG; elsewhere nothing), so work a process forked is not left
    running without it."""
    import ctypes  # here: every `python -m core` imports this module, few of them fork

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it ended before the line above: nobody would tell us now
        os.kill(os.getpid(), signal.SIGTERM)


def leave_fork(status: int) -> NoReturn:
    """End a child forked to do one piece of work, without its parent's exit steps (the
    ``atexit`` callbacks of the parent are the parent's: its servers, its files): the log and
    the standard streams flushed, then out."""
    for handler in logging.getLogger().handlers:
        with contextlib.suppress(Exception):
            handler.flush()
    flush_standard_streams()
    os._exit(status)


def flush_standard_streams() -> bool:
    """Flush standard output and error (either may be None: the process was started with it
    closed); False when one could not be written."""
    flushed = True
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            flushed = False
    return flushed


def reap_exited_children() -> None:
    """Collect every child of this process that has ended and that nobody waits for (a command
    server that left because the code changed), so none lingers as a dead process entry. Only
    in a process whose children are all its own to reap (``serve``'s, not a test's)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:  # no child left
            return
        if pid == 0:  # the others are still running
            return
