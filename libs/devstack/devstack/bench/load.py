"""A closed-loop load generator: N clients, each sending its next request when its last one returns.

Every client runs for warm-up + measured seconds; only the calls that complete inside the
measured window count, for throughput and for the latency percentiles, and the failed ones by
their kind (an HTTP status, a gRPC code, or what else went wrong).
"""

import asyncio
import math
import os
import platform
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import grpc
import httpx

Call = Callable[[], Awaitable[None]]


class Failed(Exception):
    """A call answered, but not as it should have; `kind` is what it is counted as."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def reason_of(response: httpx.Response) -> str:
    """The ErrorInfo reason of the gateway's error body (`{"code", "message", "details"}`), or ''."""
    try:
        details = response.json().get("details", [])
    except ValueError:
        return ""
    return next((detail.get("reason", "") for detail in details if "reason" in detail), "")


def expect_ok(response: httpx.Response) -> httpx.Response:
    """The answer when it is a 200; else Failed, counted by its status and reason (`HTTP 409 LISTING_NOT_ACTIVE`)."""
    if response.status_code != 200:
        raise Failed(f"HTTP {response.status_code} {reason_of(response)}".strip())
    return response


def error_kind(error: Exception) -> str:
    if isinstance(error, Failed):
        return error.kind
    if isinstance(error, httpx.HTTPStatusError):
        return f"HTTP {error.response.status_code}"
    if isinstance(error, grpc.aio.AioRpcError):
        return error.code().name
    return type(error).__name__


@dataclass(frozen=True)
class Result:
    name: str
    completed: int
    errors: int
    seconds: float
    latencies: list[float]  # seconds, sorted
    failures: dict[str, int] = field(default_factory=dict)  # errors by kind
    calls: int = 0  # every call that returned, warm-up included: what the processes' CPU time was spent on

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
    failures: Counter[str] = Counter()
    calls = 0

    async def client(call: Call) -> None:
        nonlocal calls
        while (sent := clock()) < window_end:
            try:
                await call()
                failure = None
            except Exception as error:
                failure = error_kind(error)
            done = clock()
            calls += 1
            if window_start <= done <= window_end:
                if failure is None:
                    latencies.append(done - sent)
                else:
                    failures[failure] += 1

    await asyncio.gather(*(client(call) for call in clients))
    latencies.sort()
    return Result(
        name=name,
        completed=len(latencies),
        errors=failures.total(),
        seconds=seconds,
        latencies=latencies,
        failures=dict(failures),
        calls=calls,
    )


def http_clients(base_url: str, count: int) -> list[httpx.AsyncClient]:
    """One httpx client with one keep-alive connection per simulated user.

    A single pooled AsyncClient shared by 32 tasks spends more time in its pool than on the
    wire (it measured 150 requests/s against a bare Starlette route that one client per
    connection drives at 650), so each user gets its own.
    """
    return [
        httpx.AsyncClient(base_url=base_url, limits=httpx.Limits(max_connections=1), timeout=30) for _ in range(count)
    ]


def machine_summary() -> str:
    """The machine the figures come from, for the first line of every benchmark's report."""
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"machine: {os.cpu_count()} CPU cores, Python {platform.python_version()}, load average {load} before the run."
    )
