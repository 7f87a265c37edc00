"""What a test sees of the processes a command started, from /proc."""

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from devstack.paths import ROOT


def children_of(pid: int) -> set[int]:
    """Every descendant of pid, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                # The command name, in parentheses, may hold spaces: the fields after it are fixed.
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@dataclass
class Started:
    """A command started by a test: its process, where its output goes, and the descendants seen so far."""

    process: subprocess.Popen
    log_path: Path
    seen: set[int] = field(default_factory=set)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def descendants(self) -> set[int]:
        found = children_of(self.process.pid)
        self.seen |= found
        return found


@contextlib.contextmanager
def started(argv: list[str], log_path: Path, env: Mapping[str, str] | None = None) -> Iterator[Started]:
    """argv run from the repository's root in a session of its own (Ctrl-C to its group reaches only it), its
    output in log_path; whatever of it still runs at the end (after a failed test) is killed."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    command = Started(process, log_path)
    try:
        yield command
    finally:
        for pid in [process.pid, *command.seen]:
            if alive(pid):  # each child may lead a process group of its own
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
        process.wait(timeout=10)
