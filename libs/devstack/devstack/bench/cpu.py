"""CPU time spent by processes, read from /proc (Linux): what a piece of load cost each of them.

Throughput on a shared machine moves with whatever else runs there; the CPU seconds each process
spent on the same work move much less, so a bench can say where the time of one request goes.
A process's time counts its threads, and the children it has waited for (PostgreSQL's backends,
reaped by the postmaster when a connection closes), plus the children still running. A database's
backends can also be counted alone, on a server that others use too (BackendCpu).
"""

import asyncio
import os
import time
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from rich.table import Table

from devstack.bench.load import Result

LOAD_GENERATOR = "load generator"
BACKENDS = "PostgreSQL backends"
IDLE_SECONDS = 5.0
# Backends come and go: one that exits between two samples loses only what it spent since the last.
BACKEND_SAMPLE_SECONDS = 0.2

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command (which may hold spaces), from the state on."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int(_stat(int(entry.name))[1])
            except (OSError, ValueError):
                continue  # gone meanwhile
            children.setdefault(parent, []).append(int(entry.name))
    return children


def _seconds(pid: int, children: Mapping[int, list[int]]) -> float:
    try:
        fields = _stat(pid)
    except OSError:
        return 0.0
    # utime, stime, cutime, cstime: fields 14 to 17 of stat, 11 to 14 from the state on.
    own = sum(int(value) for value in fields[11:15]) / TICKS
    return own + sum(_seconds(child, children) for child in children.get(pid, ()))


def cpu_seconds(processes: Mapping[str, int]) -> dict[str, float]:
    """CPU seconds so far of each named process with all its descendants."""
    children = _children()
    return {name: _seconds(pid, children) for name, pid in processes.items()}


def own_cpu_seconds() -> float:
    """This process's CPU seconds, without its children."""
    times = os.times()
    return times.user + times.system


def postmaster_pid(data_directory: str) -> int:
    """The server's main process, from the pid file in its data folder (SHOW data_directory)."""
    return int(Path(data_directory, "postmaster.pid").read_text().split()[0])


class BackendCpu:
    """CPU seconds spent by the backends that serve one database, on a server that serves others too.

    A backend's process title names its database (`postgres: user database host state`). Backends
    come and go while a load runs (a pool replaces connections), so `sample` is called every so often:
    a backend first seen after the first sample counts from its start, and one that exits loses only
    what it spent since its last sample.
    """

    def __init__(self, postmaster: int, database: str) -> None:
        self._postmaster = postmaster
        self._database = database
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._sampled = False

    def sample(self) -> None:
        children = Path(f"/proc/{self._postmaster}/task/{self._postmaster}/children").read_text().split()
        for pid in map(int, children):
            try:
                title = Path(f"/proc/{pid}/cmdline").read_bytes().split()
                if title[2:3] != [self._database.encode()]:
                    continue
                seconds = _seconds(pid, {})
            except (OSError, IndexError):
                continue  # gone meanwhile
            self._first.setdefault(pid, 0.0 if self._sampled else seconds)
            self._last[pid] = seconds
        self._sampled = True

    @property
    def seconds(self) -> float:
        return sum(last - self._first[pid] for pid, last in self._last.items())


async def postgres_pid(database_url: str) -> int | None:
    """The server's postmaster when it runs on this machine and its data folder can be read, else None."""
    connection = await asyncpg.connect(database_url)
    try:
        data_directory = await connection.fetchval("SHOW data_directory")
    finally:
        await connection.close()
    try:
        return postmaster_pid(data_directory)
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class Costed:
    """A target's result, and the CPU milliseconds each process spent per unit of work (a call, or what a call
    does more than once), net of what it spends idle (the event feeds' polling, the periodic jobs)."""

    result: Result
    cpu_ms: dict[str, float]
    units: int


async def idle_cpu(processes: Mapping[str, int], backends: BackendCpu | None = None) -> dict[str, float]:
    """CPU seconds per second each process (and the database's backends) spends while nothing is asked of it."""
    before = cpu_seconds(processes)
    sampling = asyncio.create_task(_sample(backends))
    await asyncio.sleep(IDLE_SECONDS)
    sampling.cancel()
    after = cpu_seconds(processes)
    idle = {name: (after[name] - before[name]) / IDLE_SECONDS for name in processes}
    if backends is not None:
        backends.sample()
        idle[BACKENDS] = backends.seconds / IDLE_SECONDS
    return idle


async def _sample(backends: BackendCpu | None) -> None:
    while backends is not None:
        backends.sample()
        await asyncio.sleep(BACKEND_SAMPLE_SECONDS)


async def costed(
    processes: Mapping[str, int],
    target: Awaitable[Result],
    *,
    per_call: int = 1,
    database: tuple[int, str] | None = None,
) -> Costed:
    """Runs the target, with the CPU time of each process beyond its idle rate, and of this one (the load
    generator), per unit of work: each call the target made (warm-up included) does `per_call`. With a
    database (the server's postmaster and the database's name), its backends' time too, as one process."""
    idle = await idle_cpu(processes, BackendCpu(*database) if database else None)
    backends = BackendCpu(*database) if database else None
    cpu_before, own_before, started = cpu_seconds(processes), own_cpu_seconds(), time.monotonic()
    sampling = asyncio.create_task(_sample(backends))
    try:
        result = await target
    finally:
        sampling.cancel()
    own, elapsed = own_cpu_seconds() - own_before, time.monotonic() - started
    cpu_after = cpu_seconds(processes)
    spent = {name: cpu_after[name] - cpu_before[name] for name in processes}
    if backends is not None:
        backends.sample()
        spent[BACKENDS] = backends.seconds
    spent = {name: cpu - idle[name] * elapsed for name, cpu in spent.items()}
    spent[LOAD_GENERATOR] = own
    units = result.calls * per_call
    return Costed(result, {name: 1000 * max(0.0, cpu) / max(1, units) for name, cpu in spent.items()}, units)


def cpu_table(unit: str, by_target: Mapping[str, Costed]) -> Table:
    """CPU milliseconds per call by process and target, and the rate the machine's cores would allow at that cost."""
    table = Table(title=f"CPU ms per {unit}, beyond the idle stack's (warm-up included)")
    table.add_column("process")
    for target in by_target:
        table.add_column(target, justify="right")
    for name in dict.fromkeys(name for costed in by_target.values() for name in costed.cpu_ms):
        table.add_row(
            name, *(f"{costed.cpu_ms[name]:.2f}" if name in costed.cpu_ms else "" for costed in by_target.values())
        )
    totals = [sum(costed.cpu_ms.values()) for costed in by_target.values()]
    table.add_row("total", *(f"{total:.2f}" for total in totals))
    cores = os.cpu_count() or 1
    table.add_row(
        f"{unit}s/s {cores} cores allow", *(f"{cores * 1000 / total:,.0f}" if total else "" for total in totals)
    )
    table.add_row(f"{unit}s counted", *(f"{costed.units:,}" for costed in by_target.values()))
    return table
