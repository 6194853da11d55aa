"""How much freed memory a process keeps for its next allocations, for allocation-heavy work
(a crawl parses a page or more every millisecond, and frees it).

glibc's ``malloc`` gives freed memory at the top of its heap back to the system once 128 KiB of
it are free (a threshold it raises by itself over time), and takes it back with page faults at
the next allocations. A crawl that parses pages on its event loop did that thousands of times:
140,000 page faults on the books bench instead of 23,000, a fifth of the crawl's CPU in the
kernel (``bench/books_site.py``). ``keep_freed_memory`` sets fixed, larger thresholds for the
rest of the process (glibc stops adjusting them itself once one is set, so both are set);
``give_back_free_memory`` returns what is free, for a long-lived ``serve`` worker between runs.

Elsewhere than glibc (musl, macOS) both do nothing.
"""

from __future__ import annotations

import ctypes
import functools

# mallopt's parameter numbers, glibc's malloc.h
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
KEPT_BYTES = 16 * 1024 * 1024  # free memory at the top of the heap that stays with the process
# Allocations up to this size come from the heap (so are reused once freed) instead of a mapping
# of their own, unmapped when freed: glibc's own upper bound for its adjusted threshold.
HEAP_ALLOCATION_BYTES = 32 * 1024 * 1024


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(None)  # the process's own symbols: the C library's among them
        libc.mallopt  # noqa: B018 - present in glibc only
        libc.malloc_trim  # noqa: B018
    except (OSError, AttributeError, TypeError):
        return None
    return libc


def keep_freed_memory() -> None:
    """From now on, this process keeps up to ``KEPT_BYTES`` of freed memory, and serves
    allocations up to ``HEAP_ALLOCATION_BYTES`` from its heap."""
    if (libc := _glibc()) is not None:
        libc.mallopt(_M_MMAP_THRESHOLD, HEAP_ALLOCATION_BYTES)
        libc.mallopt(_M_TRIM_THRESHOLD, KEPT_BYTES)


def give_back_free_memory() -> None:
    """Return the memory that is free to the system (the heap's top and its free pages)."""
    if (libc := _glibc()) is not None:
        libc.malloc_trim(0)
