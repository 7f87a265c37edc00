"""Waiting, for a bounded time, until something another process does becomes visible."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


async def eventually(read: Callable[[], Awaitable[Any]], expected: Any, seconds: float) -> None:
    """Returns once `await read()` equals expected; fails, with what it read last, after `seconds`."""
    found: Any = None
    try:
        async with asyncio.timeout(seconds):
            while (found := await read()) != expected:
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"after {seconds} s it is still {found!r}, not {expected!r}") from None
