"""asyncio pieces the workers share: waiting for an event with a time limit."""

from __future__ import annotations

import asyncio
import contextlib


async def wait_set(event: asyncio.Event, seconds: float) -> bool:
    """Wait until ``event`` is set, ``seconds`` at most; whether it is set. (A loop that does
    something every ``seconds`` until told to stop waits on this rather than sleeps, so that it
    stops at once and never in the middle of what it does.)"""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()
    return event.is_set()
