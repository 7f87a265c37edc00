"""CPU time spent by processes, read from /proc (Linux): what a piece of load cost each of them.

Throughput on a shared machine moves with whatever else runs there; the CPU seconds each process
spent on the same work move much less, so a bench can say where the time of one request goes.
A process's time counts its threads, and the children it has waited for (PostgreSQL's backends,
reaped by the postmaster when a connection closes), plus the children still running.
"""

import os
from collections.abc import Mapping
from pathlib import Path

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
