"""How much freed memory a process keeps for its next allocations, while it does allocation-heavy
work (a crawl parses a page or more every millisecond).

glibc's ``malloc`` gives freed memory at the top of its heap back to the system as soon as
128 KiB of it are free, and takes it back with page faults on the next allocations. A crawl
that parses pages on its event loop did that thousands of times: 140,000 page faults on the
books bench instead of 23,000, a fifth of the crawl's CPU in the kernel
(``bench/books_site.py``). ``keeping_freed_memory`` raises that threshold while its block runs,
then gives back what is free, so a long-lived ``serve`` worker holds no more between runs than
before.

Elsewhere than glibc (musl, macOS) this does nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
from collections.abc import Iterator

_M_TRIM_THRESHOLD = -1  # mallopt's parameter number in glibc's malloc.h
KEPT_BYTES = 16 * 1024 * 1024
_DEFAULT_TRIM_BYTES = 128 * 1024  # glibc's own starting threshold


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(None)  # the process's own symbols: the C library's among them
        libc.mallopt  # noqa: B018 - present in glibc only
        libc.malloc_trim  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


@contextlib.contextmanager
def keeping_freed_memory(kept_bytes: int = KEPT_BYTES) -> Iterator[None]:
    """Within the block, freed memory up to ``kept_bytes`` stays with the process; after it,
    the threshold is glibc's starting one again and what is free is returned."""
    libc = _glibc()
    if libc is None:
        yield
        return
    libc.mallopt(_M_TRIM_THRESHOLD, kept_bytes)
    try:
        yield
    finally:
        libc.mallopt(_M_TRIM_THRESHOLD, _DEFAULT_TRIM_BYTES)
        libc.malloc_trim(0)
