"""Resident memory of processes, read from /proc (Linux)."""

import math
from pathlib import Path

from devstack.stack import Supervisor


def rss_mb(pid: int) -> float:
    """The process's resident set in MiB; NaN when it is gone."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return math.nan
    for line in lines:
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return math.nan


def children_rss_mb(supervisor: Supervisor) -> dict[str, float]:
    """The RSS of each child the supervisor runs, by its name."""
    return {child.name: rss_mb(child.pid) for child in supervisor.children}
