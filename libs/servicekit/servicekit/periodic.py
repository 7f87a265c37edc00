"""Background jobs a service runs while it serves, each every so many seconds (trading's offer sweeper)."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def every(seconds: float, job: Callable[[], Awaitable[object]], name: str) -> None:
    """Runs `job` now and then every `seconds` until cancelled. A failed round is logged and the next
    one tries again: a job must be safe to repeat, and to run on every replica at once."""
    while True:
        try:
            await job()
        except Exception:
            log.exception("%s failed; trying again in %ss", name, seconds)
        await asyncio.sleep(seconds)
