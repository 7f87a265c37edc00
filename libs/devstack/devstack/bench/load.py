"""A closed-loop load generator: N clients, each sending its next request when its last one returns.

Every client runs for warm-up + measured seconds; only the calls that complete inside the
measured window count, for throughput and for the latency percentiles.
"""

import asyncio
import math
import os
import platform
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

Call = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Result:
    name: str
    completed: int
    errors: int
    seconds: float
    latencies: list[float]  # seconds, sorted

    @property
    def rate(self) -> float:
        return self.completed / self.seconds

    def percentile(self, fraction: float) -> float:
        """Nearest-rank percentile in milliseconds (nan when nothing completed)."""
        if not self.latencies:
            return math.nan
        rank = max(1, math.ceil(fraction * len(self.latencies)))
        return self.latencies[rank - 1] * 1000

    @property
    def p50(self) -> float:
        return self.percentile(0.50)

    @property
    def p99(self) -> float:
        return self.percentile(0.99)


async def measure(name: str, clients: Sequence[Call], *, seconds: float, warmup: float) -> Result:
    """Runs each client's call in a loop of its own for warmup + seconds; a call raises when its request fails."""
    clock = time.perf_counter
    start = clock()
    window_start, window_end = start + warmup, start + warmup + seconds
    latencies: list[float] = []
    errors = 0

    async def client(call: Call) -> None:
        nonlocal errors
        while (sent := clock()) < window_end:
            try:
                await call()
                ok = True
            except Exception:
                ok = False
            done = clock()
            if window_start <= done <= window_end:
                if ok:
                    latencies.append(done - sent)
                else:
                    errors += 1

    await asyncio.gather(*(client(call) for call in clients))
    latencies.sort()
    return Result(name=name, completed=len(latencies), errors=errors, seconds=seconds, latencies=latencies)


def machine_summary() -> str:
    """The machine the figures come from, for the first line of every benchmark's report."""
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"machine: {os.cpu_count()} CPU cores, Python {platform.python_version()}, load average {load} before the run."
    )
