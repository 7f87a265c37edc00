"""Statuses moved by a table of moves, as listings and streams are: each move starts from some statuses and
leads to one; any other move is refused the same way for every resource."""

import enum
from collections.abc import Mapping
from typing import TypeVar

from servicekit.errors import FailedPrecondition

Status = TypeVar("Status", bound=enum.Enum)


class IllegalTransition(FailedPrecondition):
    reason = "ILLEGAL_STATUS_TRANSITION"


def moved(
    moves: Mapping[enum.Enum, tuple[frozenset[Status], Status]], current: Status, how: enum.Enum, noun: str
) -> Status:
    """The status the move leads to from `current`; FAILED_PRECONDITION, naming the status and the move,
    when it does not start there."""
    starts, to = moves[how]
    if current not in starts:
        raise IllegalTransition(
            f"a {current.value} {noun} cannot {how.value}: only a {noun} that is "
            f"{' or '.join(sorted(status.value for status in starts))} can",
            metadata={"status": current.value, "move": how.value},
        )
    return to
